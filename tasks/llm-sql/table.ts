/**
 * A table as it crosses the sandbox boundary, and the candidate's answer.
 *
 * Tables are dictionary-encoded so that long texts repeated on many rows (a
 * movie's description on each of its reviews) are sent once: `cells` holds,
 * row by row, an index into `values`, which has no duplicates. Pure and
 * I/O-free; both sides use it.
 */
import type { EncodedRows } from "./hits.ts";

/** What the driver receives for one table (JSON). */
export interface TableInput {
  /** Field names, after the published column merges. */
  columns: string[];
  /** Distinct cell texts. */
  values: string[];
  /** Row-major: cell (row r, column c) is `values[cells[r · columns.length + c]]`. */
  cells: number[];
  /** The merged fields, with their parts (absent when the table has none). */
  merges?: MergeInput[];
}

/**
 * A merged field: its cell is its parts' texts concatenated, in `parts` order
 * unless the answer chooses another order (published: `col_merge`, passed to
 * the program, which orders the parts itself).
 */
export interface MergeInput {
  /** The merged field's column index. */
  field: number;
  /** The names of the merged columns, in the listed order. */
  parts: string[];
  /** Row-major: part p of row r is `values[cells[r · parts.length + p]]`. */
  cells: number[];
}

/**
 * The candidate's answer: output row k is input row `order[k]` with its
 * cells in column order `fields[k]` (a permutation of 0 … width−1).
 * `parts[j]`, if given, is the order of merge j's parts (a permutation of
 * 0 … parts−1) in every row; without it the parts keep the listed order.
 */
export interface Ordering {
  order: number[];
  fields: number[][];
  parts?: number[][];
}

export function rowCount(table: TableInput): number {
  return table.columns.length === 0 ? 0 : table.cells.length / table.columns.length;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  if (typeof v === "object") return "an object";
  return String(v);
}

/** The number of parts of each merged field of a table. */
export function mergeSizes(table: TableInput): number[] {
  return (table.merges ?? []).map((m) => m.parts.length);
}

/**
 * Why `parts` is not a valid choice of part orders for merges of the given
 * sizes, or null when it is (absent is valid: the listed order).
 */
function partsProblem(parts: unknown, sizes: readonly number[]): string | null {
  if (parts === undefined) return null;
  if (!Array.isArray(parts))
    return `parts must be an array (one part order per merged field), got ${describe(parts)}`;
  if (parts.length !== sizes.length) {
    return `parts has ${parts.length} entries, expected ${sizes.length} (one per merged field)`;
  }
  for (let j = 0; j < sizes.length; j++) {
    const f: unknown = parts[j];
    const size = sizes[j] as number;
    if (!Array.isArray(f)) return `parts[${j}] must be an array of part indices, got ${describe(f)}`;
    if (f.length !== size) return `parts[${j}] has ${f.length} entries, expected ${size} (every part once)`;
    const seen = new Set<number>();
    for (let p = 0; p < size; p++) {
      const c: unknown = f[p];
      if (typeof c !== "number" || !Number.isInteger(c))
        return `parts[${j}][${p}] is ${describe(c)}, not a part index`;
      if (c < 0 || c >= size) return `parts[${j}][${p}] = ${c} is out of range 0..${size - 1}`;
      if (seen.has(c)) return `parts[${j}] repeats part ${c}: every part must appear once`;
      seen.add(c);
    }
  }
  return null;
}

/**
 * Why `ordering` is not a valid answer for a table of `n` rows and `width`
 * fields (and merges of `merges` parts each), or null when it is: every row
 * exactly once, each output row a permutation of its row's cells, and each
 * merge's parts, if ordered, a permutation of them.
 */
export function orderingProblem(
  ordering: unknown,
  n: number,
  width: number,
  merges: readonly number[],
): string | null {
  if (typeof ordering !== "object" || ordering === null || Array.isArray(ordering)) {
    return `the answer must be an object { order: number[], fields: number[][] }, got ${describe(ordering)}`;
  }
  const { order, fields } = ordering as { order?: unknown; fields?: unknown };
  if (!Array.isArray(order)) return `order must be an array of row indices, got ${describe(order)}`;
  if (order.length !== n) {
    return `order has ${order.length} entries, expected ${n} (every row exactly once)`;
  }
  const seenAt = new Int32Array(n).fill(-1);
  for (let k = 0; k < n; k++) {
    const r: unknown = order[k];
    if (typeof r !== "number" || !Number.isInteger(r))
      return `order[${k}] is ${describe(r)}, not a row index`;
    if (r < 0 || r >= n) return `order[${k}] = ${r} is out of range 0..${n - 1}`;
    const first = seenAt[r] as number;
    if (first >= 0) return `row ${r} appears twice in order (positions ${first} and ${k})`;
    seenAt[r] = k;
  }
  if (!Array.isArray(fields))
    return `fields must be an array (one field order per output row), got ${describe(fields)}`;
  if (fields.length !== n) return `fields has ${fields.length} entries, expected ${n} (one per output row)`;
  const seen = new Int32Array(width).fill(-1);
  for (let k = 0; k < n; k++) {
    const f: unknown = fields[k];
    if (!Array.isArray(f)) return `fields[${k}] must be an array of column indices, got ${describe(f)}`;
    if (f.length !== width) {
      return `fields[${k}] has ${f.length} entries, expected ${width}: every cell of row ${order[k]} must be kept`;
    }
    for (let p = 0; p < width; p++) {
      const c: unknown = f[p];
      if (typeof c !== "number" || !Number.isInteger(c)) {
        return `fields[${k}][${p}] is ${describe(c)}, not a column index`;
      }
      if (c < 0 || c >= width) return `fields[${k}][${p}] = ${c} is out of range 0..${width - 1}`;
      if (seen[c] === k)
        return `fields[${k}] repeats column ${c}: every cell of row ${order[k]} must appear once`;
      seen[c] = k;
    }
  }
  return partsProblem((ordering as { parts?: unknown }).parts, merges);
}

const isIdentity = (perm: readonly number[]) => perm.every((p, i) => p === i);

/**
 * The table's values and cells with each merged field's parts in the order
 * the answer chose: a merged cell becomes a new value (deduplicated).
 */
function remerged(
  table: TableInput,
  parts: readonly (readonly number[])[] | undefined,
): { values: readonly string[]; cells: ArrayLike<number> } {
  const merges = table.merges ?? [];
  if (parts === undefined || merges.every((_, j) => isIdentity(parts[j] as number[]))) return table;
  const width = table.columns.length;
  const n = rowCount(table);
  const values = [...table.values];
  const cells = Int32Array.from(table.cells);
  const ids = new Map<string, number>();
  merges.forEach((m, j) => {
    const perm = parts[j] as number[];
    if (isIdentity(perm)) return;
    const k = m.parts.length;
    for (let r = 0; r < n; r++) {
      let text = "";
      for (const p of perm) text += table.values[m.cells[r * k + p] as number] as string;
      let id = ids.get(text);
      if (id === undefined) {
        id = values.length;
        values.push(text);
        ids.set(text, id);
      }
      cells[r * width + m.field] = id;
    }
  });
  return { values, cells };
}

/** The output rows of a valid ordering, as value ids in output order. */
export function encodeOrdering(table: TableInput, ordering: Ordering): EncodedRows {
  const width = table.columns.length;
  const n = rowCount(table);
  const { values, cells } = remerged(table, ordering.parts);
  const ids = new Int32Array(n * width);
  for (let k = 0; k < n; k++) {
    const base = (ordering.order[k] as number) * width;
    const f = ordering.fields[k] as number[];
    for (let p = 0; p < width; p++) ids[k * width + p] = cells[base + (f[p] as number)] as number;
  }
  return { values, width, ids };
}

/** The rows in input order with their fields in column order: the published baseline. */
export function encodeOriginal(table: TableInput): EncodedRows {
  return { values: table.values, width: table.columns.length, ids: Int32Array.from(table.cells) };
}
