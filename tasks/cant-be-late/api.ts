/**
 * What a candidate program may import (as `./api.ts`): the types of the policy
 * interface. Nothing here is trusted; the score is recomputed outside.
 */

/** What to run during a tick. */
export type Decision = "SPOT" | "ON_DEMAND" | "NONE";

export const SPOT: Decision = "SPOT";
export const ON_DEMAND: Decision = "ON_DEMAND";
export const NONE: Decision = "NONE";

/** The job of one run, given once to `createPolicy`. Times in seconds, prices in $/hour. */
export interface Job {
  /** Length of a tick (600). */
  readonly tickSeconds: number;
  /** Work the job needs (48 h). */
  readonly taskSeconds: number;
  /** The job must be done this long after the start (52 h or 70 h). */
  readonly deadlineSeconds: number;
  /** Unproductive, paid time after every (re)start of an instance. */
  readonly restartSeconds: number;
  readonly spotPrice: number;
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
  /** Whether a spot instance can be had during this tick. */
  readonly hasSpot: boolean;
  /** What ran during the previous tick (NONE at tick 0). */
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

/** Called once per tick; returns what to run during the tick. */
export type Policy = (tick: Tick) => Decision;
