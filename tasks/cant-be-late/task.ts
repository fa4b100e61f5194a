/**
 * Can't-Be-Late, single region (trusted side). The candidate returns only
 * what its policy asked for at every tick of every run; this file replays
 * those requests against its own copy of the traces with the tick machine,
 * bills them, and checks the runs are complete and independent of each other.
 */
import type { Anchors, OutputCheck, Workload, WorkloadResult } from "../../src/task/api.ts";
import { mean, replayDecisions, std } from "../_shared/spot-check.ts";
import type { ReplayResult, Trace } from "../_shared/spot-sim.ts";
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
  type EnvInput,
  MISS_PENALTY,
  type RunSpec,
  replayRun,
  rulesOf,
  TICK_SECONDS,
  traceOf,
} from "./simulator.ts";
import { stressWorkloads } from "./stress.ts";
import { splitWorkloads } from "./workloads.ts";

/** The published anchors: everything on demand scores 0, everything on spot 100. */
export const ANCHORS: Anchors = { baseline: ALL_ON_DEMAND_COST, target: ALL_SPOT_COST };

const tracesOf = decodedOnce((input: EnvInput) => input.traces.map(traceOf));

/** `dl52_o0.05`: a deadline and restart overhead, the published scenario key. */
export function scenarioKey(spec: RunSpec): string {
  return `dl${spec.deadlineHours}_o${spec.restartHours.toFixed(2)}`;
}

/** What one run costs for scoring: its bill, plus the penalty if it finished late. */
export function runCost(r: ReplayResult): number {
  return spotRunCost(r, MISS_PENALTY);
}

/** Checks one environment's output and recomputes every run's bill. */
export function checkEnv(input: EnvInput, output: unknown): OutputCheck {
  const runs = input.runs;
  const traces = tracesOf(input);
  const rules = rulesOf(input.rules);
  const replayed = replayDecisions(output, {
    runs: runs.length,
    label: (i) => {
      const spec = runs[i] as RunSpec;
      return `run ${i} (trace ${input.traceIds[spec.trace]}, deadline ${spec.deadlineHours} h, restart ${spec.restartHours} h)`;
    },
    replay: (i, d) => {
      const spec = runs[i] as RunSpec;
      return replayRun(traces[spec.trace] as Trace, spec, d, rules);
    },
    same: "same trace and job",
  });
  if ("error" in replayed) return { valid: false, metrics: {}, error: replayed.error };
  const scored = replayed.results;
  const specs = runs.slice(0, scored.length);
  const { metrics, costs } = runMetrics(scored, { tickSeconds: TICK_SECONDS, missPenalty: MISS_PENALTY });
  const byScenario = new Map<string, number[]>();
  specs.forEach((spec, i) => {
    const key = scenarioKey(spec);
    const list = byScenario.get(key) ?? [];
    list.push(costs[i] as number);
    byScenario.set(key, list);
  });
  for (const [key, list] of byScenario) {
    metrics[`cost.${key}`] = mean(list);
    metrics[`std.${key}`] = std(list);
  }
  return { valid: true, metrics };
}

/** Mean cost over every run of the split, and the score on the published anchors. */
export function aggregateEnvs(results: WorkloadResult[], workloads: Workload<EnvInput>[]) {
  return aggregateRuns(results, workloads, ANCHORS, (r) => r.metrics.runs ?? 0);
}

const WORST_SHOWN = 5;

/** Invalid environments first; then the worst scenarios (environment, deadline, overhead) and one line per environment. */
export function envFeedback(results: WorkloadResult[]): string {
  const lines = invalidLines(results);
  const valid = costliestFirst(results);
  const scenarios: { label: string; mean: number; std: number; n: number }[] = [];
  for (const r of valid) {
    const n = (r.metrics.runs ?? 0) / 6;
    for (const [key, value] of Object.entries(r.metrics)) {
      const m = /^cost\.dl(\d+)_o([\d.]+)$/.exec(key);
      if (!m) continue;
      scenarios.push({
        label: `${r.workload}, deadline ${m[1]} h, restart ${m[2]} h`,
        mean: value,
        std: r.metrics[`std.dl${m[1]}_o${m[2]}`] ?? 0,
        n,
      });
    }
  }
  if (scenarios.length > 0) {
    scenarios.sort((a, b) => b.mean - a.mean);
    lines.push("Worst scenarios (mean cost per run, highest first):");
    for (const s of scenarios.slice(0, WORST_SHOWN)) {
      lines.push(`- ${s.label}: mean $${s.mean.toFixed(2)}, std $${s.std.toFixed(2)}, ${s.n} runs`);
    }
  }
  if (valid.length > 0) {
    lines.push("Per environment (mean per run):");
    for (const r of valid) lines.push(`- ${r.workload}: $${f2(r.metrics.cost)}; ${timeLine(r.metrics)}`);
  }
  return lines.join("\n");
}

export default defineSpotTask<EnvInput>({
  id: "cant-be-late",
  title:
    "Can't Be Late: spot or on-demand each tick to finish a 48 h job by its deadline at least cost (NSDI'24)",
  dir: import.meta.dirname,
  anchors: ANCHORS,
  workloads: splitWorkloads,
  stress: stressWorkloads,
  check: checkEnv,
  aggregate: aggregateEnvs,
  feedback: envFeedback,
});
