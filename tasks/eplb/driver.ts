/**
 * Runs inside the sandbox, bundled with the candidate: hands one window of
 * loads to the candidate's `rebalanceExperts` and passes back its three maps.
 * Scoring is done outside, by task.ts, on this output alone.
 *
 * The sandbox times this whole call, so the maps are read here, element by
 * element, into flat integer arrays: whatever the program defers to the moment
 * its result is read (getters, proxies) runs inside the timed call, and the
 * copy costs every program the same few allocations however it built its
 * arrays. task.ts unpacks the flat form (`unpackPlacement`) and trusts none of
 * it.
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

/** Why `v` is not a list of at most `limit` entries, or null when it is (paths are built only on failure). */
function listProblem(v: unknown, limit: number): string | null {
  if (!isList(v)) return `must be an array, got ${kind(v)}`;
  const n = v.length;
  return n <= limit ? null : `has ${n} entries, more than the ${limit} it can have`;
}

function list(v: unknown, path: () => string, limit: number): ArrayLike<unknown> {
  const problem = listProblem(v, limit);
  if (problem !== null) throw new TypeError(`${path()} ${problem}`);
  return v as ArrayLike<unknown>;
}

/**
 * Integers collected into a scratch buffer kept between calls (so a call
 * allocates only the exact-size copy `take` returns).
 */
class Collector {
  private data = new Int32Array(1024);
  size = 0;

  /** Appends the first `n` entries of `row`, each read once; anything but an integer is named by `path`. */
  append(row: ArrayLike<unknown>, n: number, path: () => string): void {
    if (this.size + n > this.data.length) {
      const bigger = new Int32Array(Math.max(2 * this.data.length, this.size + n));
      bigger.set(this.data.subarray(0, this.size));
      this.data = bigger;
    }
    const data = this.data;
    let at = this.size;
    for (let j = 0; j < n; j++) {
      const x = row[j];
      // `x | 0` is x itself exactly for the 32-bit integers.
      if (typeof x !== "number" || (x | 0) !== x) {
        throw new TypeError(`${path()}[${j}] must be an integer, got ${kind(x)}`);
      }
      data[at++] = x;
    }
    this.size = at;
  }

  /** Appends a count the driver read itself (a length). */
  push(x: number): void {
    if (this.size === this.data.length) {
      const bigger = new Int32Array(2 * this.data.length);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.size++] = x;
  }

  /** The collected integers, as a fresh array of exactly their number; the collector is emptied. */
  take(): Int32Array {
    const out = this.data.slice(0, this.size);
    this.size = 0;
    return out;
  }
}

const collectors = { lengths: new Collector(), values: new Collector(), layers: new Collector() };

function matrix(v: unknown, name: string, rowsLimit: number, colsLimit: number): FlatRows {
  const outer = list(v, () => name, rowsLimit);
  const { lengths, values } = collectors;
  for (let i = 0; i < outer.length; i++) {
    const row = list(outer[i], () => `${name}[${i}]`, colsLimit);
    const n = row.length;
    lengths.push(n);
    values.append(row, n, () => `${name}[${i}]`);
  }
  return { lengths: lengths.take(), values: values.take() };
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
  // A failed call must not leave anything behind for the next one.
  for (const c of Object.values(collectors)) c.size = 0;
  // Generous bounds, only so that a runaway length cannot exhaust memory here.
  const layers = 4 * input.weight.length + 4;
  const width = 4 * (input.numReplicas + (input.weight[0]?.length ?? 0)) + 4;
  const phy2log = matrix(r.phy2log, "phy2log", layers, width);
  const logcnt = matrix(r.logcnt, "logcnt", layers, width);

  const outer = list(r.log2phy, () => "log2phy", layers);
  const { lengths, values, layers: perLayer } = collectors;
  for (let l = 0; l < outer.length; l++) {
    const row = list(outer[l], () => `log2phy[${l}]`, width);
    const n = row.length;
    perLayer.push(n);
    for (let e = 0; e < n; e++) {
      const slots = row[e];
      const problem = listProblem(slots, width);
      if (problem !== null) throw new TypeError(`log2phy[${l}][${e}] ${problem}`);
      const m = (slots as ArrayLike<unknown>).length;
      lengths.push(m);
      values.append(slots as ArrayLike<unknown>, m, () => `log2phy[${l}][${e}]`);
    }
  }
  const flat: FlatPlacement = {
    phy2log,
    logcnt,
    log2phyLayers: perLayer.take(),
    log2phy: { lengths: lengths.take(), values: values.take() },
  };
  return flat;
}
