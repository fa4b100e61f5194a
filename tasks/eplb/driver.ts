/**
 * Runs inside the sandbox, bundled with the candidate: hands one window of
 * loads to the candidate's `rebalanceExperts` and passes back its three maps.
 * Scoring is done outside, by task.ts, on this output alone.
 *
 * The sandbox times this whole call, so the maps are read here, element by
 * element, into flat integer arrays: whatever the program defers to the moment
 * its result is read (getters, proxies) runs inside the timed call, and the
 * copy costs every program the same however it built its arrays. The flat
 * arrays are views of buffers the driver reuses, valid until its next call
 * (the sandbox serialises each output before the next call): the copy
 * allocates nothing, so it does not add collections to every program's time.
 * task.ts unpacks the flat form (`unpackPlacement`) and trusts none of it.
 */
import type { EplbInput } from "./workloads.ts";

export const ENTRY = "rebalanceExperts";

/** A list of lists of integers, flattened: `lengths[i]` entries of list i, back to back in `values`. */
export interface FlatRows {
  lengths: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** The driver's output: the three maps, flattened (log2phy twice: layers of lists of slots). */
export interface FlatPlacement {
  phy2log: FlatRows;
  logcnt: FlatRows;
  /** Lists per layer. */
  log2phyLayers: ArrayLike<number>;
  /** `log2phy.lengths`: entries per list, all layers back to back. */
  log2phy: FlatRows;
}

function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "number") return String(v);
  return typeof v === "object" ? "an object" : typeof v;
}

function isList(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

// The errors are built only on failure, so that the copy loops below allocate nothing per list.
function notList(path: string, v: unknown): TypeError {
  return new TypeError(`${path} must be an array, got ${kind(v)}`);
}

function tooLong(path: string, n: number, limit: number): TypeError {
  return new TypeError(`${path} has ${n} entries, more than the ${limit} it can have`);
}

/** The length of `v`, read once, when it is a list of at most `limit` entries; else a TypeError naming `path`. */
function listLength(v: unknown, path: string, limit: number): number {
  if (!isList(v)) throw notList(path, v);
  const n = v.length;
  if (n > limit) throw tooLong(path, n, limit);
  return n;
}

/**
 * Integers collected into a buffer kept between calls: a call allocates
 * nothing here, and what it returns is a view of the buffer, valid until the
 * next call (the sandbox serialises each output before the next call, and so
 * do the in-process tests). The buffer starts large enough for the task's own
 * shapes: replacing it during a call would also throw away the optimised code
 * of the copy loops.
 */
class Collector {
  data = new Int32Array(1 << 15);
  size = 0;

  /** Room for `n` more integers. */
  reserve(n: number): Int32Array {
    if (this.size + n > this.data.length) {
      const bigger = new Int32Array(Math.max(2 * this.data.length, this.size + n));
      bigger.set(this.data.subarray(0, this.size));
      this.data = bigger;
    }
    return this.data;
  }

  /** The collected integers (a view, valid until the next call). */
  view(): Int32Array {
    return this.data.subarray(0, this.size);
  }
}

/** One map being flattened: its lists' lengths and their entries. */
class Rows {
  readonly lengths = new Collector();
  readonly values = new Collector();

  flat(): FlatRows {
    return { lengths: this.lengths.view(), values: this.values.view() };
  }
}

const out = { phy2log: new Rows(), logcnt: new Rows(), log2phy: new Rows(), layers: new Collector() };

/**
 * Appends the `n` entries of `list` (named `name[i]`, or `name[i][e]` when `e`
 * ≥ 0), each read once, to `values`. The copy is cut into a function per list
 * and one per layer, each called many times per call, so that V8 optimises
 * them within the first call with complete feedback: the driver's cost is
 * charged to every program alike, so it is kept small from the second call on.
 * `appendView` is the same copy for typed arrays: a loop that reads one kind of
 * list only is compiled for that kind (a loop reading both kinds, as programs
 * that return typed rows and plain lists would make it, reads each element slower).
 */
function append(
  values: Collector,
  list: ArrayLike<unknown>,
  n: number,
  name: string,
  i: number,
  e: number,
): void {
  const data = values.reserve(n);
  let at = values.size;
  for (let j = 0; j < n; j++) {
    const x = list[j];
    // `x | 0` is x itself exactly for the 32-bit integers.
    if (typeof x !== "number" || (x | 0) !== x) throw notInteger(name, i, e, j, x);
    data[at++] = x;
  }
  values.size = at;
}

/**
 * The getter behind every typed array's `Symbol.toStringTag`: it answers from the
 * array's internal type (never from its prototype, which a program may swap), and
 * undefined for anything else.
 */
const typedArrayTag = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Int32Array.prototype),
  Symbol.toStringTag,
)?.get;

/** `append` for a typed array; an Int32Array, whose entries are all 32-bit integers, is copied whole. */
function appendView(
  values: Collector,
  list: ArrayLike<unknown>,
  n: number,
  name: string,
  i: number,
  e: number,
): void {
  const data = values.reserve(n);
  let at = values.size;
  if (typedArrayTag?.call(list) === "Int32Array" && (list as Int32Array).length === n) {
    data.set(list as Int32Array, at);
    values.size = at + n;
    return;
  }
  for (let j = 0; j < n; j++) {
    const x = list[j];
    if (typeof x !== "number" || (x | 0) !== x) throw notInteger(name, i, e, j, x);
    data[at++] = x;
  }
  values.size = at;
}

function notInteger(name: string, i: number, e: number, j: number, x: unknown): TypeError {
  const path = e < 0 ? `${name}[${i}]` : `${name}[${i}][${e}]`;
  return new TypeError(`${path}[${j}] must be an integer, got ${kind(x)}`);
}

/** Appends the `n` entries of the list `list` (an array or a typed array), by the copy for its kind. */
function appendAny(
  values: Collector,
  list: ArrayLike<unknown>,
  n: number,
  name: string,
  i: number,
  e: number,
): void {
  if (Array.isArray(list)) append(values, list, n, name, i, e);
  else appendView(values, list, n, name, i, e);
}

/** Appends the lengths and entries of the `n` lists of `row` (`name[i]`), each at most `width` long. */
function appendLists(
  rows: Rows,
  row: ArrayLike<unknown>,
  n: number,
  width: number,
  name: string,
  i: number,
): void {
  const { lengths, values } = rows;
  const lens = lengths.reserve(n);
  let li = lengths.size;
  for (let e = 0; e < n; e++) {
    const list = row[e];
    // The kind is checked once per list: it both validates and picks the copy.
    const array = Array.isArray(list);
    if (!array && !isList(list)) throw notList(`${name}[${i}][${e}]`, list);
    const m = (list as ArrayLike<unknown>).length;
    if (m > width) throw tooLong(`${name}[${i}][${e}]`, m, width);
    lens[li++] = m;
    if (array) append(values, list, m, name, i, e);
    else appendView(values, list as ArrayLike<unknown>, m, name, i, e);
  }
  lengths.size = li;
}

/** A list of lists of integers, flattened into `rows`. */
function matrix(rows: Rows, v: unknown, name: string, rowsLimit: number, colsLimit: number): FlatRows {
  const count = listLength(v, name, rowsLimit);
  const outer = v as ArrayLike<unknown>;
  for (let i = 0; i < count; i++) {
    const row = outer[i];
    if (!isList(row)) throw notList(`${name}[${i}]`, row);
    const n = row.length;
    if (n > colsLimit) throw tooLong(`${name}[${i}]`, n, colsLimit);
    rows.lengths.reserve(1)[rows.lengths.size++] = n;
    appendAny(rows.values, row, n, name, i, -1);
  }
  return rows.flat();
}

export function run(candidate: Record<string, unknown>, input: EplbInput): unknown {
  const entry = candidate[ENTRY];
  if (typeof entry !== "function") {
    throw new Error(
      `the program must export a function \`${ENTRY}(weight, numReplicas, numGroups, numNodes, numGpus)\``,
    );
  }
  const result: unknown = entry(
    input.weight,
    input.numReplicas,
    input.numGroups,
    input.numNodes,
    input.numGpus,
  );
  if (typeof result !== "object" || result === null || isList(result)) {
    throw new TypeError(`${ENTRY} must return an object { phy2log, log2phy, logcnt }, got ${kind(result)}`);
  }
  const r = result as Record<string, unknown>;
  // Whatever the last call left (or a failed call half-collected) is dropped.
  for (const rows of [out.phy2log, out.logcnt, out.log2phy]) {
    rows.lengths.size = 0;
    rows.values.size = 0;
  }
  out.layers.size = 0;
  // Generous bounds, only so that a runaway length cannot exhaust memory here.
  const layers = 4 * input.weight.length + 4;
  const width = 4 * (input.numReplicas + (input.weight[0]?.length ?? 0)) + 4;
  const phy2log = matrix(out.phy2log, r.phy2log, "phy2log", layers, width);
  const logcnt = matrix(out.logcnt, r.logcnt, "logcnt", layers, width);

  const numLayers = listLength(r.log2phy, "log2phy", layers);
  const outer = r.log2phy as ArrayLike<unknown>;
  const perLayer = out.layers;
  for (let l = 0; l < numLayers; l++) {
    const row = outer[l];
    if (!isList(row)) throw notList(`log2phy[${l}]`, row);
    const n = row.length;
    if (n > width) throw tooLong(`log2phy[${l}]`, n, width);
    perLayer.reserve(1)[perLayer.size++] = n;
    appendLists(out.log2phy, row, n, width, "log2phy", l);
  }
  const flat: FlatPlacement = {
    phy2log,
    logcnt,
    log2phyLayers: perLayer.view(),
    log2phy: out.log2phy.flat(),
  };
  return flat;
}
