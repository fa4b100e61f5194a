/**
 * Can't-Be-Late, multi region: the constants of the published evaluation and
 * the workload input shared by the driver (sandbox) and task.ts (trusted). The
 * tick machine itself is `../_shared/spot-sim.ts`.
 */
import {
  type Job,
  type ReplayResult,
  type Rules,
  type RuleSet,
  rulesOf,
  replay,
  type Trace,
} from "../_shared/spot-sim.ts";

export const TICK_SECONDS = 195;
export const TASK_HOURS = 48;
export const DEADLINE_HOURS = 52;
export const RESTART_HOURS = 0.2;
/** $/hour, every region. Spot prices come from the traces. */
export const ON_DEMAND_PRICE = 3.06;
/** The spot price the published anchors use (a V100 in us-west-2), $/hour. */
export const ANCHOR_SPOT_PRICE = 0.9731;

/** The job run entirely on demand: the score's 0. */
export const ALL_ON_DEMAND_COST = ON_DEMAND_PRICE * TASK_HOURS;
/** The job run entirely on spot at the anchor price with no overhead: the score's 100. */
export const ALL_SPOT_COST = ANCHOR_SPOT_PRICE * TASK_HOURS;
/** Added to the bill of a run that finishes after its deadline. */
export const MISS_PENALTY = ALL_ON_DEMAND_COST;

export const JOB: Job = Object.freeze({
  tickSeconds: TICK_SECONDS,
  taskSeconds: TASK_HOURS * 3600,
  deadlineSeconds: DEADLINE_HOURS * 3600,
  restartSeconds: Math.round(RESTART_HOURS * 3600),
  onDemandPrice: ON_DEMAND_PRICE,
});

export { type RuleSet, rulesOf };

/** One trace index of a scenario: every region over the same wall-clock window. */
export interface RegionTraces {
  /** The trace's file number (`<n>.json` in every region's folder). */
  id: number;
  /** Per region, one character per tick: `1` when spot is available. */
  available: string[];
  /** Per region, the spot price per tick, $/hour. */
  prices: number[][];
}

/**
 * One workload: the runs of one scenario (a set of regions). The last run
 * repeats the first, so the scorer can check that a run depends only on its
 * own observations.
 */
export interface ScenarioInput {
  /** Region names, for messages; the policy only sees their number. */
  regions: string[];
  traces: RegionTraces[];
  /** Indices into `traces`, in the order they are run. */
  runs: number[];
  /** Absent: our rules. "published": the published simulator's, for comparison only. */
  rules?: RuleSet;
}

/** Decodes one trace index of a scenario into the tick machine's layout. */
export function traceOf(t: RegionTraces): Trace {
  const regions = t.available.length;
  const ticks = Math.min(...t.available.map((a) => a.length));
  const available = new Uint8Array(regions * ticks);
  const spotPrice = new Float64Array(regions * ticks);
  for (let r = 0; r < regions; r++) {
    const a = t.available[r] as string;
    const p = t.prices[r] as number[];
    for (let k = 0; k < ticks; k++) {
      available[r * ticks + k] = a.charCodeAt(k) === 49 ? 1 : 0;
      spotPrice[r * ticks + k] = p[k] as number;
    }
  }
  return { regions, ticks, available, spotPrice };
}

export function replayRun(trace: Trace, decisions: string, rules: Rules): ReplayResult | { error: string } {
  return replay(trace, JOB, decisions, { rules, withRegions: true });
}
