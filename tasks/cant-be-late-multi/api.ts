/**
 * What a candidate program may import (as `./api.ts`): the types of the policy
 * interface. Nothing here is trusted; the score is recomputed outside.
 */

/** What to run during a tick. */
export type Decision = "SPOT" | "ON_DEMAND" | "NONE";

export const SPOT: Decision = "SPOT";
export const ON_DEMAND: Decision = "ON_DEMAND";
export const NONE: Decision = "NONE";

/**
 * What the policy returns for a tick: a decision for the current region, or a
 * decision and the region to run (or wait) in.
 */
export type Action = Decision | { readonly type: Decision; readonly region?: number };

/** The job of one run, given once to `createPolicy`. Times in seconds, prices in $/hour. */
export interface Job {
  /** Number of regions; they are numbered 0 … regions − 1. The job starts in region 0. */
  readonly regions: number;
  /** Length of a tick (195). */
  readonly tickSeconds: number;
  /** Work the job needs (48 h). */
  readonly taskSeconds: number;
  /** The job must be done this long after the start (52 h). */
  readonly deadlineSeconds: number;
  /** Unproductive, paid time after every (re)start of an instance (720). */
  readonly restartSeconds: number;
  readonly onDemandPrice: number;
}

/** What the policy sees at the start of a tick. Times in seconds. */
export interface Tick {
  /** Index of this tick, from 0. */
  readonly tick: number;
  /** Time since the start: `tick · tickSeconds`. */
  readonly elapsed: number;
  /** `deadlineSeconds − elapsed`. */
  readonly timeLeft: number;
  /** The region the job is in: where it runs, or last ran or waited. */
  readonly region: number;
  /** Whether a spot instance can be had in `region` during this tick. */
  readonly hasSpot: boolean;
  /** For every region, whether a spot instance can be had there during this tick. */
  readonly spot: readonly boolean[];
  /** For every region, the spot price during this tick, $/hour. */
  readonly prices: readonly number[];
  /** What ran during the previous tick, in `region` (NONE at tick 0). */
  readonly last: Decision;
  /** What is running now: `last`, or NONE if the spot instance was preempted at this tick. */
  readonly running: Decision;
  /** Work done so far. */
  readonly done: number;
  /** `taskSeconds − done`. */
  readonly remaining: number;
  /** Restart overhead the running instance has still to pay. */
  readonly restartLeft: number;
}

/** Called once per tick; returns what to run during the tick, and where. */
export type Policy = (tick: Tick) => Action;
