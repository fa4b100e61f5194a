/**
 * The prefix-hit metric of LLM-SQL, on dictionary-encoded rows.
 *
 * A row's text is the concatenation of its cells in output order. Its hit is
 * the longest common prefix (in UTF-16 code units) with any earlier row; the
 * hit rate is the sum of hits over the sum of row lengths. Walking a character
 * trie row by row, each row adds `length − hit` nodes, so the total hit is
 * `total length − trie size`. The trie of a set of strings has, besides its
 * root, `Σ (|s_i| − lcp(s_i, s_{i−1}))` nodes over the strings in sorted order;
 * that is what is computed here, in O(n log n) comparisons that skip whole
 * cells while they are equal.
 *
 * Pure and I/O-free: task.ts scores with it, and api.ts bundles a copy for
 * candidates.
 */

/**
 * Rows to measure: `ids[k·width + p]` is the value id of the p-th cell of row
 * k (in output order); `values[id]` is its text. Equal ids must mean equal
 * text (the trusted tables are deduplicated), and different ids may still
 * share characters.
 */
export interface EncodedRows {
  values: readonly string[];
  width: number;
  ids: Int32Array;
}

export interface HitCount {
  hits: number;
  chars: number;
}

/** Length of the common prefix of rows a and b, in characters. */
export function rowLcp(rows: EncodedRows, a: number, b: number): number {
  const { values, width, ids } = rows;
  const ao = a * width;
  const bo = b * width;
  let i = 0;
  let shared = 0;
  while (i < width && ids[ao + i] === ids[bo + i]) {
    shared += (values[ids[ao + i] as number] as string).length;
    i++;
  }
  if (i === width) return shared;
  let ca = i;
  let cb = i;
  let sa = values[ids[ao + ca] as number] as string;
  let sb = values[ids[bo + cb] as number] as string;
  let pa = 0;
  let pb = 0;
  for (;;) {
    while (pa === sa.length) {
      if (++ca === width) return shared;
      sa = values[ids[ao + ca] as number] as string;
      pa = 0;
    }
    while (pb === sb.length) {
      if (++cb === width) return shared;
      sb = values[ids[bo + cb] as number] as string;
      pb = 0;
    }
    if (sa.charCodeAt(pa) !== sb.charCodeAt(pb)) return shared;
    pa++;
    pb++;
    shared++;
  }
}

/** Orders rows a and b by their concatenated text (code-unit order). */
export function compareRows(rows: EncodedRows, a: number, b: number): number {
  const { values, width, ids } = rows;
  const ao = a * width;
  const bo = b * width;
  let i = 0;
  while (i < width && ids[ao + i] === ids[bo + i]) i++;
  if (i === width) return 0;
  let ca = i;
  let cb = i;
  let sa = values[ids[ao + ca] as number] as string;
  let sb = values[ids[bo + cb] as number] as string;
  let pa = 0;
  let pb = 0;
  for (;;) {
    let aEnded = false;
    let bEnded = false;
    while (pa === sa.length) {
      if (++ca === width) {
        aEnded = true;
        break;
      }
      sa = values[ids[ao + ca] as number] as string;
      pa = 0;
    }
    while (pb === sb.length) {
      if (++cb === width) {
        bEnded = true;
        break;
      }
      sb = values[ids[bo + cb] as number] as string;
      pb = 0;
    }
    if (aEnded || bEnded) return aEnded === bEnded ? 0 : aEnded ? -1 : 1;
    const d = sa.charCodeAt(pa) - sb.charCodeAt(pb);
    if (d !== 0) return d;
    pa++;
    pb++;
  }
}

/** Total characters and total prefix hits of the rows (their order does not change the sum). */
export function countHits(rows: EncodedRows): HitCount {
  const { values, width, ids } = rows;
  const n = width === 0 ? 0 : ids.length / width;
  const length = new Float64Array(n);
  let chars = 0;
  for (let k = 0; k < n; k++) {
    let len = 0;
    for (let p = 0; p < width; p++) len += (values[ids[k * width + p] as number] as string).length;
    length[k] = len;
    chars += len;
  }
  const sorted = Array.from({ length: n }, (_, k) => k).sort((a, b) => compareRows(rows, a, b));
  let nodes = 0;
  for (let i = 0; i < n; i++) {
    const k = sorted[i] as number;
    const shared = i === 0 ? 0 : rowLcp(rows, sorted[i - 1] as number, k);
    nodes += (length[k] as number) - shared;
  }
  return { hits: chars - nodes, chars };
}

export function hitRate(rows: EncodedRows): number {
  const { hits, chars } = countHits(rows);
  return chars === 0 ? 0 : hits / chars;
}
