/**
 * Can't-Be-Late, multi region (trusted side). The candidate returns only what
 * its policy asked for, and where, at every tick of every run; this file
 * replays those requests against its own copy of the traces with the tick
 * machine, bills every tick at the price of the region it ran in, and checks
 * the runs are complete and independent of each other.
 */
import type { Anchors, OutputCheck, Workload, WorkloadResult } from "../../src/task/api.ts";
import { mean, replayDecisions } from "../_shared/spot-check.ts";
import type { ReplayResult } from "../_shared/spot-sim.ts";
import {
  aggregateRuns,
  costliestFirst,
  decodedOnce,
  defineSpotTask,
  f2,
  invalidLines,
  runMetrics,
  runCost as spotRunCost,
  timeLine,
} from "../_shared/spot-task.ts";
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

const traceFor = decodedOnce(traceOf);

/** What one run costs for scoring: its bill, plus the penalty if it finished late. */
export function runCost(r: ReplayResult): number {
  return spotRunCost(r, MISS_PENALTY);
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
  const { metrics } = runMetrics(scored, { tickSeconds: TICK_SECONDS, missPenalty: MISS_PENALTY });
  metrics.region_moves = mean(scored.map((r) => r.regionMoves));
  return { valid: true, metrics };
}

/** The mean over the scenarios of each scenario's mean cost (scenarios weigh the same, as published). */
export function aggregateScenarios(results: WorkloadResult[], workloads: Workload<ScenarioInput>[]) {
  return aggregateRuns(results, workloads, ANCHORS, () => 1);
}

/** Invalid scenarios first, then every scenario, highest mean cost first. */
export function scenarioFeedback(results: WorkloadResult[], workloads: Workload<ScenarioInput>[]): string {
  const lines = invalidLines(results);
  const regions = new Map(workloads.map((w) => [w.id, w.input.regions.length]));
  const valid = costliestFirst(results);
  if (valid.length > 0) {
    lines.push("Scenarios (mean cost per run, highest first):");
    for (const r of valid) {
      const m = r.metrics;
      const n = regions.get(r.workload);
      lines.push(
        `- ${r.workload}${n ? ` (${n} regions)` : ""}: mean $${f2(m.cost)}, std $${f2(m.cost_std)}, ${m.runs} runs; ` +
          timeLine(m),
      );
    }
  }
  return lines.join("\n");
}

export default defineSpotTask<ScenarioInput>({
  id: "cant-be-late-multi",
  title:
    "Can't Be Late across regions: spot or on-demand, and where, each tick to finish a 48 h job by its deadline",
  dir: import.meta.dirname,
  anchors: ANCHORS,
  workloads: splitWorkloads,
  stress: stressWorkloads,
  check: checkScenario,
  aggregate: aggregateScenarios,
  feedback: scenarioFeedback,
});
