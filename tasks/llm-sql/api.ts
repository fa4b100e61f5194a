/**
 * What a candidate program may import (as `./api.ts`). It runs inside the
 * sandbox with the candidate, so nothing here is trusted: the answer is
 * validated and its hit rate recomputed outside by task.ts.
 */
import { Rng } from "../../src/task/api.ts";
import { countHits } from "./hits.ts";
import {
  encodeOrdering,
  mergeSizes,
  type Ordering,
  orderingProblem,
  rowCount,
  type TableInput,
} from "./table.ts";

export type { Ordering, Rng };

/** A merged field (published: `col_merge`): one cell per row, made of its parts' texts. */
export interface Merge {
  /** The merged field's column index. */
  readonly field: number;
  /** The merged columns' names, in the listed order (the order of the field's text in `rows`). */
  readonly parts: readonly string[];
  /** `cells[r][p]` is the text of part p in row r. */
  readonly cells: readonly (readonly string[])[];
}

/** One table to reorder. */
export class Table {
  /** Field names, in input order; column merges are already applied. */
  readonly columns: readonly string[];
  /** `rows[r][c]` is the text of the cell of row r in column c. */
  readonly rows: readonly (readonly string[])[];
  /** Number of rows. */
  readonly size: number;
  /** The merged fields and their parts; an answer may order each one's parts (`Ordering.parts`). */
  readonly merges: readonly Merge[];

  private readonly input: TableInput;

  constructor(input: TableInput) {
    this.input = input;
    const width = input.columns.length;
    this.size = rowCount(input);
    this.columns = Object.freeze([...input.columns]);
    const rows: (readonly string[])[] = new Array(this.size);
    for (let r = 0; r < this.size; r++) {
      const row = new Array<string>(width);
      for (let c = 0; c < width; c++) row[c] = input.values[input.cells[r * width + c] as number] as string;
      rows[r] = Object.freeze(row);
    }
    this.rows = Object.freeze(rows);
    const text = (id: number | undefined) => input.values[id as number] as string;
    this.merges = Object.freeze(
      (input.merges ?? []).map((m) => {
        const k = m.parts.length;
        const cells: (readonly string[])[] = new Array(this.size);
        for (let r = 0; r < this.size; r++) {
          cells[r] = Object.freeze(Array.from({ length: k }, (_, p) => text(m.cells[r * k + p])));
        }
        return Object.freeze({
          field: m.field,
          parts: Object.freeze([...m.parts]),
          cells: Object.freeze(cells),
        });
      }),
    );
  }

  /**
   * The rows as scored for an answer whose `parts` are these: each merged
   * field's text is its parts concatenated in `parts[j]` order. The other
   * fields are the same strings as in `rows`.
   */
  remerged(parts: readonly (readonly number[])[]): readonly (readonly string[])[] {
    if (parts.length !== this.merges.length) {
      throw new RangeError(`remerged: ${parts.length} part orders for ${this.merges.length} merged fields`);
    }
    const rows = this.rows.map((row) => [...row]);
    this.merges.forEach((m, j) => {
      const perm = parts[j] as readonly number[];
      for (let r = 0; r < this.size; r++) {
        const cells = m.cells[r] as readonly string[];
        let text = "";
        for (const p of perm) text += cells[p] as string;
        (rows[r] as string[])[m.field] = text;
      }
    });
    return rows;
  }

  /**
   * The prefix hit rate of an answer, computed as the evaluator does. Throws
   * a RangeError, saying why, if the answer is not valid for this table.
   */
  hitRate(ordering: Ordering): number {
    const problem = orderingProblem(ordering, this.size, this.columns.length, mergeSizes(this.input));
    if (problem) throw new RangeError(`hitRate: ${problem}`);
    const { hits, chars } = countHits(encodeOrdering(this.input, ordering));
    return chars === 0 ? 0 : hits / chars;
  }
}

/** A seeded random generator, so a randomised program gives the same answer on every run. */
export function rng(seed: number): Rng {
  return new Rng(seed);
}
