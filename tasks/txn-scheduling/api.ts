/**
 * What a candidate program may import (as `./api.ts`). It runs inside the
 * sandbox with the candidate, so nothing here is trusted: the score is always
 * recomputed outside by task.ts with its own copy of the simulator.
 */
import { Rng } from "../../src/task/api.ts";
import { type ParsedWorkload, parseWorkload, Simulator } from "./simulator.ts";

export type { Rng };

/** One op of a transaction. `key` is a dense id in 0 … keyCount−1, or −1 for a no-op. */
export interface Op {
  readonly type: "r" | "w" | "*";
  readonly key: number;
}

/** One workload: the transactions to order, and an exact makespan for any sequence of them. */
export class Workload {
  /** Number of transactions; a schedule is a permutation of 0 … size−1. */
  readonly size: number;
  /** The transactions as given: ops `r-<key>`, `w-<key>`, `*`, separated by spaces. */
  readonly txns: readonly string[];
  /** Parsed ops of each transaction, in order. */
  readonly ops: readonly (readonly Op[])[];
  /** Time units each transaction occupies (its number of ops, no-ops included). */
  readonly lengths: readonly number[];
  /** Number of distinct keys; op keys are 0 … keyCount−1. */
  readonly keyCount: number;

  private readonly parsed: ParsedWorkload;
  private readonly simulator: Simulator;
  // Duplicate detection without clearing an array on every call.
  private readonly seen: Uint32Array;
  private stamp = 0;

  constructor(txns: readonly string[]) {
    this.parsed = parseWorkload(txns);
    this.simulator = new Simulator(this.parsed);
    this.seen = new Uint32Array(this.parsed.n);
    this.size = this.parsed.n;
    this.txns = Object.freeze([...txns]);
    this.keyCount = this.parsed.keyCount;
    this.lengths = Object.freeze(Array.from(this.parsed.lengths));
    const keyId = new Map(this.parsed.keyNames.map((name, id) => [name, id]));
    this.ops = Object.freeze(
      this.txns.map((text) =>
        Object.freeze(
          text
            .trim()
            .split(/\s+/)
            .map((token): Op => {
              if (token === "*") return Object.freeze({ type: "*", key: -1 });
              return Object.freeze({
                type: token[0] === "w" ? "w" : "r",
                key: keyId.get(token.slice(2)) as number,
              });
            }),
        ),
      ),
    );
  }

  /**
   * Makespan of running the transactions of `order` in that order: the
   * schedule's score when `order` holds all of them, and the exact cost of a
   * partial sequence otherwise. Throws on an index out of range or repeated.
   */
  makespan(order: ArrayLike<number>): number {
    const n = this.size;
    this.stamp = (this.stamp + 1) >>> 0;
    if (this.stamp === 0) {
      this.seen.fill(0);
      this.stamp = 1;
    }
    for (let i = 0; i < order.length; i++) {
      const t = order[i] as number;
      if (!Number.isInteger(t) || t < 0 || t >= n) {
        throw new RangeError(`makespan: order[${i}] = ${t} is not a transaction index in 0..${n - 1}`);
      }
      if (this.seen[t] === this.stamp) {
        throw new RangeError(`makespan: transaction ${t} appears twice in order`);
      }
      this.seen[t] = this.stamp;
    }
    return this.simulator.makespan(order);
  }
}

/** A seeded random generator, so a randomised program gives the same schedule on every run. */
export function rng(seed: number): Rng {
  return new Rng(seed);
}
