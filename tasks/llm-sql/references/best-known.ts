import type { Ordering, Table } from "./api.ts";

// EVOLVE-BLOCK-START
/**
 * Best known, built from the published ideas: GGR's greedy grouping (the
 * state of the art) made cheap, as the evolved program of the ADRS paper did.
 * It takes GGR's decisions, so its hit rate is GGR's; the work is different.
 *
 * - Each column is dictionary-encoded once, with a small hash table keyed by
 *   a few sampled characters (hashing whole texts at every cell is what makes
 *   a Map slow here). Columns with too many distinct values stop there; the
 *   others get ids shared across columns, and everything after works on
 *   typed arrays: counts are arrays indexed by id, not maps of strings.
 * - The only sort that steers a decision is the first (it decides which rows
 *   share a block); it is a stable counting sort per column on per-column
 *   ranks. Sorts that only order the output rows are skipped: the hit rate of
 *   a set of rows does not depend on their order.
 * - Groups are split in place in one buffer of row indices.
 *
 * The grouping rule is GGR's: the value with the largest len² · (count − 1)
 * goes first in the rows holding it and the rest of those rows is grouped
 * again (column recursion); the other rows are grouped again (row recursion);
 * past the depth limits, or when no value scores EARLY_STOP, one column order
 * (by avg_len² · (rows/distinct − 1)) serves all remaining fields; blocks of
 * at most BLOCK rows of the sorted table are grouped separately.
 */
const EARLY_STOP = 100_000;
const ROW_STOP = 4;
const COL_STOP = 2;
const DISTINCT_THRESHOLD = 0.7;
const BLOCK = 2000;

/**
 * Work counters, a deterministic proxy for running time read by the tests:
 * cells visited, and operations on strings (hashing, comparing), which
 * dominate the cost.
 */
export const counters = { steps: 0, stringOps: 0 };

/** Cheap hash of a text: its length and about a dozen sampled characters. */
function sampleHash(text: string): number {
  const size = text.length;
  let h = Math.imul(size + 1, 0x9e3779b1);
  const step = size > 12 ? Math.floor(size / 12) : 1;
  for (let i = 0; i < size; i += step) h = Math.imul(h ^ text.charCodeAt(i), 0x85ebca6b);
  if (size > 0) h = Math.imul(h ^ text.charCodeAt(size - 1), 0xc2b2ae35);
  return h ^ (h >>> 15);
}

/** Score of a column over g rows: avg_len² · (g / distinct − 1), 0 when all values differ. */
function columnScore(totalLength: number, distinct: number, g: number): number {
  const avg = totalLength / g;
  return distinct === g ? 0 : avg * avg * (g / distinct - 1);
}

/** Indices of `scores` by decreasing score, ties in index order. */
function byScore(scores: readonly number[]): number[] {
  return scores.map((_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
}

export function reorder(table: Table): Ordering {
  const { rows } = table;
  const n = table.size;
  const width = table.columns.length;
  if (n === 0) return { order: [], fields: [] };

  // Per column: local ids, distinct texts, total length (one hash table per column, rows in order).
  const capacity = 2 ** Math.ceil(Math.log2(Math.max(16, 2 * n)));
  const mask = capacity - 1;
  const slots = new Int32Array(width * capacity).fill(-1);
  const local = new Int32Array(n * width);
  const columnTexts: string[][] = Array.from({ length: width }, () => []);
  const totalLength = new Float64Array(width);
  for (let r = 0; r < n; r++) {
    const row = rows[r] as readonly string[];
    for (let c = 0; c < width; c++) {
      const text = row[c] as string;
      const texts = columnTexts[c] as string[];
      totalLength[c] = (totalLength[c] as number) + text.length;
      let slot = sampleHash(text) & mask;
      let id = slots[c * capacity + slot] as number;
      while (id >= 0 && texts[id] !== text) {
        slot = (slot + 1) & mask;
        id = slots[c * capacity + slot] as number;
      }
      if (id < 0) {
        id = texts.length;
        texts.push(text);
        slots[c * capacity + slot] = id;
      }
      local[r * width + c] = id;
    }
  }
  counters.steps += n * width;
  counters.stringOps += n * width;
  const columnIds = (c: number): Int32Array => {
    const ids = new Int32Array(n);
    for (let r = 0; r < n; r++) ids[r] = local[r * width + c] as number;
    return ids;
  };

  const scores = columnTexts.map((t, c) => columnScore(totalLength[c] as number, t.length, n));
  const tooDistinct = (c: number) => (columnTexts[c] as string[]).length > DISTINCT_THRESHOLD * n;
  const last = byScore(scores).filter(tooDistinct);
  const kept = Array.from({ length: width }, (_, c) => c).filter((c) => !tooDistinct(c));
  const k = kept.length;

  // Ids shared across the kept columns (GGR counts equal texts in any column together).
  const keptTexts = kept.reduce((sum, c) => sum + (columnTexts[c] as string[]).length, 0);
  const globalCapacity = 2 ** Math.ceil(Math.log2(Math.max(16, 2 * keptTexts)));
  const globalSlots = new Int32Array(globalCapacity).fill(-1);
  const globalTexts: string[] = [];
  const weight: number[] = [];
  const value = new Int32Array(n * k);
  kept.forEach((c, j) => {
    const texts = columnTexts[c] as string[];
    const toGlobal = new Int32Array(texts.length);
    for (let i = 0; i < texts.length; i++) {
      const t = texts[i] as string;
      let slot = sampleHash(t) & (globalCapacity - 1);
      let g = globalSlots[slot] as number;
      while (g >= 0 && globalTexts[g] !== t) {
        slot = (slot + 1) & (globalCapacity - 1);
        g = globalSlots[slot] as number;
      }
      if (g < 0) {
        g = globalTexts.length;
        globalTexts.push(t);
        weight.push(t.length * t.length);
        globalSlots[slot] = g;
      }
      toGlobal[i] = g;
    }
    counters.stringOps += texts.length;
    for (let r = 0; r < n; r++) value[r * k + j] = toGlobal[local[r * width + c] as number] as number;
  });
  const lengthOf = Float64Array.from(weight);
  for (let g = 0; g < lengthOf.length; g++) lengthOf[g] = Math.sqrt(lengthOf[g] as number);
  counters.steps += n * k;

  // One column order for every row first, by the scores over the whole table.
  const firstOrder = byScore(kept.map((c) => scores[c] as number));
  const seq = new Int32Array(n * k);
  for (let r = 0; r < n; r++) for (let p = 0; p < k; p++) seq[r * k + p] = firstOrder[p] as number;

  // Rows sorted by those fields, then by index: stable counting sorts, last field first.
  let perm = Int32Array.from({ length: n }, (_, r) => r);
  let spare = new Int32Array(n);
  for (let p = k - 1; p >= 0; p--) {
    const c = kept[firstOrder[p] as number] as number;
    const texts = columnTexts[c] as string[];
    const ids = columnIds(c);
    const byText = texts
      .map((_, i) => i)
      .sort((a, b) => {
        counters.stringOps++;
        const x = texts[a] as string;
        const y = texts[b] as string;
        return x < y ? -1 : x > y ? 1 : 0;
      });
    const rank = new Int32Array(texts.length);
    byText.forEach((id, i) => {
      rank[id] = i;
    });
    const bucket = new Int32Array(texts.length + 1);
    for (let r = 0; r < n; r++) (bucket[(rank[ids[r] as number] as number) + 1] as number)++;
    for (let b = 1; b < bucket.length; b++) bucket[b] = (bucket[b] as number) + (bucket[b - 1] as number);
    for (let i = 0; i < n; i++) {
      const r = perm[i] as number;
      const b = rank[ids[r] as number] as number;
      spare[bucket[b] as number] = r;
      bucket[b] = (bucket[b] as number) + 1;
    }
    [perm, spare] = [spare, perm];
    counters.steps += 2 * n;
  }

  const count = new Int32Array(lengthOf.length);
  const mark = new Int32Array(lengthOf.length).fill(-1);
  let stamp = 0;
  const touched = new Int32Array(n * k);
  const moved = new Int32Array(k);
  const rank = new Float64Array(k);
  const ranked = new Int32Array(k);
  const scratch = spare;

  /** One column order (by score, ties in order) for positions off… of the rows perm[lo … hi−1]. */
  const fixed = (lo: number, hi: number, off: number): void => {
    const g = hi - lo;
    if (off >= k - 1 || g === 0) return;
    // Positions by score (stable), as GGR orders them; an insertion sort, the lists are short.
    let used = 0;
    for (let p = off; p < k; p++) {
      stamp++;
      let distinct = 0;
      let total = 0;
      for (let i = lo; i < hi; i++) {
        const r = perm[i] as number;
        const id = value[r * k + (seq[r * k + p] as number)] as number;
        total += lengthOf[id] as number;
        if (mark[id] !== stamp) {
          mark[id] = stamp;
          distinct++;
        }
      }
      const score = columnScore(total, distinct, g);
      let at = used++;
      while (at > 0 && (rank[at - 1] as number) < score) {
        rank[at] = rank[at - 1] as number;
        ranked[at] = ranked[at - 1] as number;
        at--;
      }
      rank[at] = score;
      ranked[at] = p;
    }
    for (let i = lo; i < hi; i++) {
      const base = (perm[i] as number) * k;
      for (let j = 0; j < used; j++) moved[j] = seq[base + (ranked[j] as number)] as number;
      for (let j = 0; j < used; j++) seq[base + off + j] = moved[j] as number;
    }
    counters.steps += 2 * g * (k - off);
  };

  const regroup = (lo: number, hi: number, off: number, rowStop: number, colStop: number): void => {
    if (hi === lo) return;
    if (off >= k || rowStop >= ROW_STOP || colStop >= COL_STOP) {
      fixed(lo, hi, off);
      return;
    }
    // Counts in first-seen order (GGR breaks ties by first occurrence).
    let seen = 0;
    for (let i = lo; i < hi; i++) {
      const base = (perm[i] as number) * k;
      for (let p = off; p < k; p++) {
        const id = value[base + (seq[base + p] as number)] as number;
        const c = count[id] as number;
        if (c === 0) touched[seen++] = id;
        count[id] = c + 1;
      }
    }
    let best = -1;
    let bestWeight = -1;
    for (let t = 0; t < seen; t++) {
      const id = touched[t] as number;
      const w = (weight[id] as number) * ((count[id] as number) - 1);
      if (w > bestWeight) {
        bestWeight = w;
        best = id;
      }
      count[id] = 0;
    }
    counters.steps += (hi - lo) * (k - off);
    if (bestWeight < EARLY_STOP) {
      fixed(lo, hi, off);
      return;
    }
    // Stable split: rows holding the value (now first) stay in front, the rest go behind.
    let front = lo;
    let back = 0;
    for (let i = lo; i < hi; i++) {
      const r = perm[i] as number;
      const base = r * k;
      let w = 0;
      let spareAt = 0;
      for (let p = off; p < k; p++) {
        const col = seq[base + p] as number;
        if (value[base + col] === best) seq[base + off + w++] = col;
        else moved[spareAt++] = col;
      }
      if (w === 0) {
        scratch[back++] = r;
        continue;
      }
      for (let j = 0; j < spareAt; j++) seq[base + off + w + j] = moved[j] as number;
      perm[front++] = r;
    }
    for (let j = 0; j < back; j++) perm[front + j] = scratch[j] as number;
    counters.steps += (hi - lo) * (k - off);
    regroup(lo, front, off + 1, rowStop, colStop + 1);
    regroup(front, hi, off, rowStop + 1, colStop);
  };

  const split = (lo: number, hi: number): void => {
    if (hi - lo <= BLOCK) {
      regroup(lo, hi, 0, 0, 0);
      return;
    }
    const mid = lo + Math.floor((hi - lo) / 2);
    split(lo, mid);
    split(mid, hi);
  };
  split(0, n);

  const order: number[] = new Array(n);
  const fields: number[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    order[i] = perm[i] as number;
    const base = (perm[i] as number) * k;
    const f = new Array<number>(width);
    for (let p = 0; p < k; p++) f[p] = kept[seq[base + p] as number] as number;
    for (let j = 0; j < last.length; j++) f[k + j] = last[j] as number;
    fields[i] = f;
  }
  return { order, fields };
}
// EVOLVE-BLOCK-END
