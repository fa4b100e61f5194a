/**
 * Can't-Be-Late, single region (trusted side). The candidate returns only
 * what its policy asked for at every tick of every run; this file replays
 * those requests against its own copy of the traces with the tick machine,
 * bills them, and checks the runs are complete and independent of each other.
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

const traceCache = new WeakMap<EnvInput, Trace[]>();

function tracesOf(input: EnvInput): Trace[] {
  let traces = traceCache.get(input);
  if (!traces) {
    traces = input.traces.map(traceOf);
    traceCache.set(input, traces);
  }
  return traces;
}

/** `dl52_o0.05`: a deadline and restart overhead, the published scenario key. */
export function scenarioKey(spec: RunSpec): string {
  return `dl${spec.deadlineHours}_o${spec.restartHours.toFixed(2)}`;
}

/** What one run costs for scoring: its bill, plus the penalty if it finished late. */
export function runCost(r: ReplayResult): number {
  return r.cost + (r.missed ? MISS_PENALTY : 0);
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
  const costs = scored.map(runCost);
  const hours = (ticks: (r: ReplayResult) => number) =>
    mean(scored.map((r) => (ticks(r) * TICK_SECONDS) / 3600));
  const metrics: Metrics = {
    cost: mean(costs),
    cost_std: std(costs),
    // The bill alone, without miss penalties: what the published evaluator reports.
    bill: mean(scored.map((r) => r.cost)),
    runs: scored.length,
    misses: scored.filter((r) => r.missed).length,
    spot_hours: hours((r) => r.spotTicks),
    on_demand_hours: hours((r) => r.onDemandTicks),
    idle_hours: hours((r) => r.idleTicks),
    guard_hours: hours((r) => r.guardTicks),
    restarts: mean(scored.map((r) => r.restarts)),
  };
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
  const byId = new Map(results.map((r) => [r.workload, r]));
  const metrics: Metrics = {};
  let total = 0;
  let runs = 0;
  let misses = 0;
  let bill = 0;
  let invalid = 0;
  for (const w of workloads) {
    const r = byId.get(w.id);
    const cost = r?.valid ? r.metrics.cost : undefined;
    const n = r?.metrics.runs ?? 0;
    if (cost === undefined || !Number.isFinite(cost) || n <= 0) {
      invalid++;
      continue;
    }
    metrics[`cost.${w.id}`] = cost;
    total += cost * n;
    runs += n;
    misses += r?.metrics.misses ?? 0;
    bill += (r?.metrics.bill ?? cost) * n;
  }
  if (invalid > 0 || runs === 0) return { score: 0, metrics: { ...metrics, invalid } };
  metrics.cost = total / runs;
  metrics.runs = runs;
  metrics.misses = misses;
  metrics.bill = bill / runs;
  return { score: normalise(metrics.cost, ANCHORS), metrics };
}

const WORST_SHOWN = 5;

/** Invalid environments first; then the worst scenarios (environment, deadline, overhead) and one line per environment. */
export function envFeedback(results: WorkloadResult[]): string {
  const lines: string[] = [];
  for (const r of results)
    if (!r.valid) lines.push(`${r.workload}: invalid: ${r.error ?? "no valid output"}`);
  const valid = results.filter((r) => r.valid && r.metrics.cost !== undefined);
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
    for (const r of [...valid].sort((a, b) => (b.metrics.cost as number) - (a.metrics.cost as number))) {
      const m = r.metrics;
      lines.push(
        `- ${r.workload}: $${(m.cost as number).toFixed(2)}; ${f1(m.spot_hours)} h spot, ${f1(m.on_demand_hours)} h on demand, ` +
          `${f1(m.idle_hours)} h idle, ${f1(m.restarts)} restarts, guard decided ${f1(m.guard_hours)} h` +
          (m.misses ? `; ${m.misses} runs missed the deadline` : ""),
      );
    }
  }
  return lines.join("\n");
}

function f1(x: number | undefined): string {
  return (x ?? 0).toFixed(1);
}

export default defineTask<EnvInput>({
  id: "cant-be-late",
  title:
    "Can't Be Late: spot or on-demand each tick to finish a 48 h job by its deadline at least cost (NSDI'24)",
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
    return checkEnv(workload.input, output);
  },

  aggregate(_split, results, workloads) {
    return aggregateEnvs(results, workloads);
  },

  feedback(results: WorkloadResult[]): string {
    return envFeedback(results);
  },
});
