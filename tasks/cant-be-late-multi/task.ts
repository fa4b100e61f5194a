/**
 * Can't-Be-Late, multi region (trusted side). The candidate returns only what
 * its policy asked for, and where, at every tick of every run; this file
 * replays those requests against its own copy of the traces with the tick
 * machine, bills every tick at the price of the region it ran in, and checks
 * the runs are complete and independent of each other.
 */
import {
  type Anchors,
  defineTask,
  type Metrics,
  normalise,
  type OutputCheck,
  type Split,
  type Workload,
  type WorkloadResult,
} from "../../src/task/api.ts";
import { mean, replayDecisions, std } from "../_shared/spot-check.ts";
import type { ReplayResult, Trace } from "../_shared/spot-sim.ts";
import {
  ALL_ON_DEMAND_COST,
  ALL_SPOT_COST,
  MISS_PENALTY,
  type RegionTraces,
  replayRun,
  rulesOf,
  type ScenarioInput,
  TICK_SECONDS,
  traceOf,
} from "./simulator.ts";
import { stressWorkloads } from "./stress.ts";
import { splitWorkloads } from "./workloads.ts";

/** The published anchors: everything on demand scores 0, everything on spot at 0.9731 $/h 100. */
export const ANCHORS: Anchors = { baseline: ALL_ON_DEMAND_COST, target: ALL_SPOT_COST };

const traceCache = new WeakMap<RegionTraces, Trace>();

function traceFor(t: RegionTraces): Trace {
  let trace = traceCache.get(t);
  if (!trace) {
    trace = traceOf(t);
    traceCache.set(t, trace);
  }
  return trace;
}

/** What one run costs for scoring: its bill, plus the penalty if it finished late. */
export function runCost(r: ReplayResult): number {
  return r.cost + (r.missed ? MISS_PENALTY : 0);
}

/** Checks one scenario's output and recomputes every run's bill. */
export function checkScenario(input: ScenarioInput, output: unknown): OutputCheck {
  const runs = input.runs;
  const rules = rulesOf(input.rules);
  const traceOfRun = (i: number) => input.traces[runs[i] as number] as RegionTraces;
  const replayed = replayDecisions(output, {
    runs: runs.length,
    label: (i) => `run ${i} (trace ${traceOfRun(i).id})`,
    replay: (i, d) => replayRun(traceFor(traceOfRun(i)), d, rules),
    same: "same trace",
  });
  if ("error" in replayed) return { valid: false, metrics: {}, error: replayed.error };
  const scored = replayed.results;
  const costs = scored.map(runCost);
  const hours = (ticks: (r: ReplayResult) => number) =>
    mean(scored.map((r) => (ticks(r) * TICK_SECONDS) / 3600));
  const metrics: Metrics = {
    cost: mean(costs),
    cost_std: std(costs),
    // The bill alone, without miss penalties.
    bill: mean(scored.map((r) => r.cost)),
    runs: scored.length,
    misses: scored.filter((r) => r.missed).length,
    spot_hours: hours((r) => r.spotTicks),
    on_demand_hours: hours((r) => r.onDemandTicks),
    idle_hours: hours((r) => r.idleTicks),
    guard_hours: hours((r) => r.guardTicks),
    restarts: mean(scored.map((r) => r.restarts)),
    region_moves: mean(scored.map((r) => r.regionMoves)),
  };
  return { valid: true, metrics };
}

/** The mean over the scenarios of each scenario's mean cost (scenarios weigh the same, as published). */
export function aggregateScenarios(results: WorkloadResult[], workloads: Workload<ScenarioInput>[]) {
  const byId = new Map(results.map((r) => [r.workload, r]));
  const metrics: Metrics = {};
  let total = 0;
  let bill = 0;
  let misses = 0;
  let runs = 0;
  let invalid = 0;
  for (const w of workloads) {
    const r = byId.get(w.id);
    const cost = r?.valid ? r.metrics.cost : undefined;
    if (cost === undefined || !Number.isFinite(cost)) {
      invalid++;
      continue;
    }
    metrics[`cost.${w.id}`] = cost;
    total += cost;
    bill += r?.metrics.bill ?? cost;
    misses += r?.metrics.misses ?? 0;
    runs += r?.metrics.runs ?? 0;
  }
  if (invalid > 0 || workloads.length === 0) return { score: 0, metrics: { ...metrics, invalid } };
  metrics.cost = total / workloads.length;
  metrics.bill = bill / workloads.length;
  metrics.misses = misses;
  metrics.runs = runs;
  return { score: normalise(metrics.cost, ANCHORS), metrics };
}

/** Invalid scenarios first, then every scenario, highest mean cost first. */
export function scenarioFeedback(results: WorkloadResult[], workloads: Workload<ScenarioInput>[]): string {
  const lines: string[] = [];
  for (const r of results)
    if (!r.valid) lines.push(`${r.workload}: invalid: ${r.error ?? "no valid output"}`);
  const regions = new Map(workloads.map((w) => [w.id, w.input.regions.length]));
  const valid = results
    .filter((r) => r.valid && r.metrics.cost !== undefined)
    .sort((a, b) => (b.metrics.cost as number) - (a.metrics.cost as number));
  if (valid.length > 0) {
    lines.push("Scenarios (mean cost per run, highest first):");
    for (const r of valid) {
      const m = r.metrics;
      const n = regions.get(r.workload);
      lines.push(
        `- ${r.workload}${n ? ` (${n} regions)` : ""}: mean $${f2(m.cost)}, std $${f2(m.cost_std)}, ${m.runs} runs; ` +
          `${f1(m.spot_hours)} h spot, ${f1(m.on_demand_hours)} h on demand, ${f1(m.idle_hours)} h idle, ` +
          `${f1(m.restarts)} restarts, ${f1(m.region_moves)} region moves, guard decided ${f1(m.guard_hours)} h` +
          (m.misses ? `; ${m.misses} runs missed the deadline` : ""),
      );
    }
  }
  return lines.join("\n");
}

function f1(x: number | undefined): string {
  return (x ?? 0).toFixed(1);
}

function f2(x: number | undefined): string {
  return (x ?? 0).toFixed(2);
}

export default defineTask<ScenarioInput>({
  id: "cant-be-late-multi",
  title:
    "Can't Be Late across regions: spot or on-demand, and where, each tick to finish a 48 h job by its deadline",
  version: "1",
  dir: import.meta.dirname,
  metric: { name: "cost", direction: "minimize", unit: "$ per run" },
  anchors: ANCHORS,
  limits: { timeoutMs: 60_000, memoryMb: 512 },

  workloads(split: Split) {
    return splitWorkloads(split);
  },

  stress: stressWorkloads,

  check(workload, output): OutputCheck {
    return checkScenario(workload.input, output);
  },

  aggregate(_split, results, workloads) {
    return aggregateScenarios(results, workloads);
  },

  feedback(results: WorkloadResult[], workloads: Workload<ScenarioInput>[]): string {
    return scenarioFeedback(results, workloads);
  },
});
