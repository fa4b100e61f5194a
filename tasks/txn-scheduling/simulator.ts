/**
 * Makespan of a transaction schedule (VLDB'24 offline scheduling model).
 *
 * Pure and I/O-free: the trusted side (task.ts) uses it to score outputs, and
 * the sandbox side (api.ts) bundles its own copy for candidates. Every op takes
 * one time unit; a transaction starts as early as its conflicts with the
 * transactions placed before it allow, and placed transactions never move.
 */

/** One transaction per entry: ops `r-<key>`, `w-<key>` or `*`, separated by spaces. */
export type TxnList = readonly string[];

/** What the driver receives for one workload (JSON, crosses the sandbox boundary). */
export interface TxnInput {
  txns: string[];
}

/**
 * A workload pre-parsed into flat arrays. Keys are renumbered densely so the
 * simulator can index arrays instead of hashing strings; no-ops keep only
 * their contribution to the transaction length.
 */
export interface ParsedWorkload {
  readonly n: number;
  readonly keyCount: number;
  /** Original key text of each dense key id. */
  readonly keyNames: readonly string[];
  /** Tokens per transaction, no-ops included: the time it occupies. */
  readonly lengths: Int32Array;
  /** Keyed ops of transaction t are entries opStart[t] .. opStart[t+1]-1. */
  readonly opStart: Int32Array;
  readonly opKey: Int32Array;
  /** 0-based position of the op inside its transaction. */
  readonly opOffset: Int32Array;
  /** 1 for a write, 0 for a read. */
  readonly opWrite: Uint8Array;
}

const TOKEN = /^([rw])-(\S+)$/;

export function parseWorkload(txns: TxnList): ParsedWorkload {
  const n = txns.length;
  const keyIds = new Map<string, number>();
  const keyNames: string[] = [];
  const lengths = new Int32Array(n);
  const opStart = new Int32Array(n + 1);
  const keys: number[] = [];
  const offsets: number[] = [];
  const writes: number[] = [];
  for (let t = 0; t < n; t++) {
    const text = txns[t];
    if (typeof text !== "string") throw new Error(`transaction ${t} is not a string`);
    const tokens = text
      .trim()
      .split(/\s+/)
      .filter((s) => s.length > 0);
    if (tokens.length === 0) throw new Error(`transaction ${t} has no ops`);
    lengths[t] = tokens.length;
    opStart[t] = keys.length;
    for (let p = 0; p < tokens.length; p++) {
      const token = tokens[p] as string;
      if (token === "*") continue;
      const m = TOKEN.exec(token);
      if (!m) throw new Error(`transaction ${t}, op ${p + 1}: "${token}" is not r-<key>, w-<key> or *`);
      const name = m[2] as string;
      let id = keyIds.get(name);
      if (id === undefined) {
        id = keyNames.length;
        keyIds.set(name, id);
        keyNames.push(name);
      }
      keys.push(id);
      offsets.push(p);
      writes.push(m[1] === "w" ? 1 : 0);
    }
  }
  opStart[n] = keys.length;
  return {
    n,
    keyCount: keyNames.length,
    keyNames,
    lengths,
    opStart,
    opKey: Int32Array.from(keys),
    opOffset: Int32Array.from(offsets),
    opWrite: Uint8Array.from(writes),
  };
}

/**
 * Evaluates schedules of one workload, reusing its scratch arrays between
 * calls (it sits in the inner loop of schedule construction).
 *
 * Per key only two numbers matter: the latest time any op touched it (a write
 * must come after all of them) and the latest write (a read must come after
 * it). Times start at 1, so 0 means "never touched" and imposes nothing.
 */
export class Simulator {
  readonly workload: ParsedWorkload;
  private readonly lastAny: Int32Array;
  private readonly lastWrite: Int32Array;

  constructor(workload: ParsedWorkload) {
    this.workload = workload;
    this.lastAny = new Int32Array(workload.keyCount);
    this.lastWrite = new Int32Array(workload.keyCount);
  }

  /**
   * Makespan of the transactions in `order`, placed one after another. Any
   * sequence of valid indices works (a prefix, a subset); validation of
   * indices is the caller's job.
   */
  makespan(order: ArrayLike<number>): number {
    const { lengths, opStart, opKey, opOffset, opWrite } = this.workload;
    const lastAny = this.lastAny;
    const lastWrite = this.lastWrite;
    lastAny.fill(0);
    lastWrite.fill(0);
    let makespan = 0;
    for (let i = 0; i < order.length; i++) {
      const t = order[i] as number;
      const from = opStart[t] as number;
      const to = opStart[t + 1] as number;
      // A transaction's ops are checked only against earlier transactions, so
      // find the start first and record its ops afterwards.
      let start = 1;
      for (let o = from; o < to; o++) {
        const k = opKey[o] as number;
        const bound =
          (opWrite[o] ? (lastAny[k] as number) : (lastWrite[k] as number)) + 1 - (opOffset[o] as number);
        if (bound > start) start = bound;
      }
      for (let o = from; o < to; o++) {
        const k = opKey[o] as number;
        const time = start + (opOffset[o] as number);
        if (time > (lastAny[k] as number)) lastAny[k] = time;
        if (opWrite[o] && time > (lastWrite[k] as number)) lastWrite[k] = time;
      }
      const end = start + (lengths[t] as number) - 1;
      if (end > makespan) makespan = end;
    }
    return makespan;
  }
}

/** The trivial lower bound on any schedule: the longest transaction. */
export function lowerBound(workload: ParsedWorkload): number {
  let longest = 0;
  for (const len of workload.lengths) if (len > longest) longest = len;
  return longest;
}

/** Makespan of running the transactions in their given order, 0 … n−1. */
export function identityMakespan(workload: ParsedWorkload): number {
  const order = new Int32Array(workload.n);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return new Simulator(workload).makespan(order);
}
