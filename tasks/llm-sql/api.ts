/**
 * What a candidate program may import (as `./api.ts`). It runs inside the
 * sandbox with the candidate, so nothing here is trusted: the answer is
 * validated and its hit rate recomputed outside by task.ts.
 */
import { Rng } from "../../src/task/api.ts";
import { countHits } from "./hits.ts";
import { encodeOrdering, type Ordering, orderingProblem, rowCount, type TableInput } from "./table.ts";

export type { Ordering, Rng };

/** One table to reorder. */
export class Table {
  /** Field names, in input order; column merges are already applied. */
  readonly columns: readonly string[];
  /** `rows[r][c]` is the text of the cell of row r in column c. */
  readonly rows: readonly (readonly string[])[];
  /** Number of rows. */
  readonly size: number;

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
  }

  /**
   * The prefix hit rate of an answer, computed as the evaluator does. Throws
   * a RangeError, saying why, if the answer is not valid for this table.
   */
  hitRate(ordering: Ordering): number {
    const problem = orderingProblem(ordering, this.size, this.columns.length);
    if (problem) throw new RangeError(`hitRate: ${problem}`);
    const { hits, chars } = countHits(encodeOrdering(this.input, ordering));
    return chars === 0 ? 0 : hits / chars;
  }
}

/** A seeded random generator, so a randomised program gives the same answer on every run. */
export function rng(seed: number): Rng {
  return new Rng(seed);
}
