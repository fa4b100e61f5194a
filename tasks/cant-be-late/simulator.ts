/**
 * Can't-Be-Late, single region: the constants of the published evaluation and
 * the workload input shared by the driver (sandbox) and task.ts (trusted). The
 * tick machine itself is `../_shared/spot-sim.ts`.
 */
import {
  type Job,
  KIND_LETTERS,
  type ReplayResult,
  type Rules,
  type RuleSet,
  rulesOf,
  replay,
  type Trace,
} from "../_shared/spot-sim.ts";

export const TICK_SECONDS = 600;
export const TASK_HOURS = 48;
export const TASK_SECONDS = TASK_HOURS * 3600;
/** $/hour. The published evaluation uses these V100 prices for every environment. */
export const ON_DEMAND_PRICE = 3.06;
export const SPOT_PRICE = 0.9731;
export const DEADLINE_HOURS = [52, 70] as const;
export const RESTART_HOURS = [0.02, 0.05, 0.1] as const;

/** The job run entirely on demand: the score's 0. */
export const ALL_ON_DEMAND_COST = ON_DEMAND_PRICE * TASK_HOURS;
/** The job run entirely on spot with no overhead: the score's 100. */
export const ALL_SPOT_COST = SPOT_PRICE * TASK_HOURS;
/** Added to the bill of a run that finishes after its deadline: missing is never cheaper than on demand. */
export const MISS_PENALTY = ALL_ON_DEMAND_COST;

export { type RuleSet, rulesOf };

export interface RunSpec {
  /** Index into `EnvInput.traces`. */
  trace: number;
  deadlineHours: number;
  restartHours: number;
}

/**
 * One workload: the runs of one environment. The last run repeats the first,
 * so the scorer can check that a run depends only on its own observations.
 */
export interface EnvInput {
  /** Availability per tick, `1` when spot can be had during the tick, `0` when not. */
  traces: string[];
  /** The trace files' names, for messages. */
  traceIds: string[];
  runs: RunSpec[];
  /** Absent: our rules. "published": the published simulator's, for comparison only. */
  rules?: RuleSet;
}

export function jobOf(spec: RunSpec): Job {
  return {
    tickSeconds: TICK_SECONDS,
    taskSeconds: TASK_SECONDS,
    deadlineSeconds: Math.round(spec.deadlineHours * 3600),
    restartSeconds: Math.round(spec.restartHours * 3600),
    onDemandPrice: ON_DEMAND_PRICE,
  };
}

/** Decodes an availability string (`1` available, anything else not) at the published spot price. */
export function traceOf(availability: string): Trace {
  const ticks = availability.length;
  const available = new Uint8Array(ticks);
  for (let k = 0; k < ticks; k++) available[k] = availability.charCodeAt(k) === 49 ? 1 : 0;
  return { regions: 1, ticks, available, spotPrice: new Float64Array(ticks).fill(SPOT_PRICE) };
}

export function replayRun(
  trace: Trace,
  spec: RunSpec,
  decisions: string,
  rules: Rules,
): ReplayResult | { error: string } {
  return replay(trace, jobOf(spec), decisions, { rules });
}

export { KIND_LETTERS };
