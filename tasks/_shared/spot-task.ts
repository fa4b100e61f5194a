/**
 * The trusted side both Can't-Be-Late tasks share once the decisions are
 * replayed (spot-check.ts): what a run costs, the metrics of a workload's
 * runs, the aggregate over a split, the feedback lines, and the definition
 * they have in common. The tasks differ in their workloads and in how runs
 * weigh in the aggregate.
 */
import {
  type Anchors,
  defineTask,
  type Metrics,
  normalise,
  type OutputCheck,
  type Split,
  type StressWorkload,
  type TaskDefinition,
  type Workload,
  type WorkloadResult,
} from "../../src/task/api.ts";
import { mean, std } from "./spot-check.ts";
import type { ReplayResult } from "./spot-sim.ts";

/** `decode`, computed once per input object (the traces of a workload are decoded once, not per check). */
export function decodedOnce<K extends object, V>(decode: (input: K) => V): (input: K) => V {
  const cache = new WeakMap<K, V>();
  return (input) => {
    let value = cache.get(input);
    if (value === undefined) {
      value = decode(input);
      cache.set(input, value);
    }
    return value;
  };
}

/** What one run costs for scoring: its bill, plus `missPenalty` if it finished late. */
export function runCost(r: ReplayResult, missPenalty: number): number {
  return r.cost + (r.missed ? missPenalty : 0);
}

/** The metrics of a workload's scored runs, and each run's cost. */
export function runMetrics(
  scored: readonly ReplayResult[],
  o: { tickSeconds: number; missPenalty: number },
): { metrics: Metrics; costs: number[] } {
  const costs = scored.map((r) => runCost(r, o.missPenalty));
  const hours = (ticks: (r: ReplayResult) => number) =>
    mean(scored.map((r) => (ticks(r) * o.tickSeconds) / 3600));
  const metrics: Metrics = {
    cost: mean(costs),
    cost_std: std(costs),
    // The bill alone, without miss penalties: what the published evaluators report.
    bill: mean(scored.map((r) => r.cost)),
    runs: scored.length,
    misses: scored.filter((r) => r.missed).length,
    spot_hours: hours((r) => r.spotTicks),
    on_demand_hours: hours((r) => r.onDemandTicks),
    idle_hours: hours((r) => r.idleTicks),
    guard_hours: hours((r) => r.guardTicks),
    restarts: mean(scored.map((r) => r.restarts)),
  };
  return { metrics, costs };
}

/**
 * The weighted mean of the workloads' costs (and bills), the runs and misses
 * summed, and the score on the anchors. A workload weighs `weight(result)`:
 * its number of runs (every run the same) or 1 (every workload the same); a
 * missing, invalid or weightless workload scores the split 0.
 */
export function aggregateRuns(
  results: WorkloadResult[],
  workloads: Workload<unknown>[],
  anchors: Anchors,
  weight: (r: WorkloadResult) => number,
) {
  const byId = new Map(results.map((r) => [r.workload, r]));
  const metrics: Metrics = {};
  let total = 0;
  let bill = 0;
  let weights = 0;
  let runs = 0;
  let misses = 0;
  let invalid = 0;
  for (const w of workloads) {
    const r = byId.get(w.id);
    const cost = r?.valid ? r.metrics.cost : undefined;
    const n = r ? weight(r) : 0;
    if (r === undefined || cost === undefined || !Number.isFinite(cost) || n <= 0) {
      invalid++;
      continue;
    }
    metrics[`cost.${w.id}`] = cost;
    total += cost * n;
    bill += (r.metrics.bill ?? cost) * n;
    weights += n;
    runs += r.metrics.runs ?? 0;
    misses += r.metrics.misses ?? 0;
  }
  if (invalid > 0 || weights === 0) return { score: 0, metrics: { ...metrics, invalid } };
  metrics.cost = total / weights;
  metrics.bill = bill / weights;
  metrics.runs = runs;
  metrics.misses = misses;
  return { score: normalise(metrics.cost, anchors), metrics };
}

/** One line per invalid workload, for the top of the feedback. */
export function invalidLines(results: readonly WorkloadResult[]): string[] {
  return results
    .filter((r) => !r.valid)
    .map((r) => `${r.workload}: invalid: ${r.error ?? "no valid output"}`);
}

/** The valid workloads, highest mean cost first. */
export function costliestFirst(results: readonly WorkloadResult[]): WorkloadResult[] {
  return results
    .filter((r) => r.valid && r.metrics.cost !== undefined)
    .sort((a, b) => (b.metrics.cost as number) - (a.metrics.cost as number));
}

/** How a workload's runs spent their time: `30.0 h spot, …, guard decided 1.0 h; 2 runs missed the deadline`. */
export function timeLine(m: Metrics): string {
  return (
    `${f1(m.spot_hours)} h spot, ${f1(m.on_demand_hours)} h on demand, ${f1(m.idle_hours)} h idle, ` +
    `${f1(m.restarts)} restarts, ${m.region_moves === undefined ? "" : `${f1(m.region_moves)} region moves, `}` +
    `guard decided ${f1(m.guard_hours)} h${m.misses ? `; ${m.misses} runs missed the deadline` : ""}`
  );
}

export function f1(x: number | undefined): string {
  return (x ?? 0).toFixed(1);
}

export function f2(x: number | undefined): string {
  return (x ?? 0).toFixed(2);
}

/** What a Can't-Be-Late task says of itself; the rest of its definition is common. */
export interface SpotTaskParts<I> {
  id: string;
  title: string;
  dir: string;
  anchors: Anchors;
  workloads(split: Split): Promise<Workload<I>[]>;
  stress?(): StressWorkload<I>[] | Promise<StressWorkload<I>[]>;
  check(input: I, output: unknown): OutputCheck;
  aggregate(results: WorkloadResult[], workloads: Workload<I>[]): { score: number; metrics: Metrics };
  feedback(results: WorkloadResult[], workloads: Workload<I>[]): string;
}

export function defineSpotTask<I>(parts: SpotTaskParts<I>): TaskDefinition<I> {
  return defineTask<I>({
    id: parts.id,
    title: parts.title,
    version: "1",
    dir: parts.dir,
    metric: { name: "cost", direction: "minimize", unit: "$ per run" },
    anchors: parts.anchors,
    limits: { timeoutMs: 60_000, memoryMb: 512 },
    workloads: (split) => parts.workloads(split),
    ...(parts.stress ? { stress: parts.stress } : {}),
    check: (workload, output) => parts.check(workload.input, output),
    aggregate: (_split, results, workloads) => parts.aggregate(results, workloads),
    feedback: (results, workloads) => parts.feedback(results, workloads),
  });
}
