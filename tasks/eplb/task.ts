/**
 * EPLB (trusted side). The candidate returns a placement per window; it is
 * validated and simulated here on the next window's loads, which the
 * candidate never sees. The speed term uses the sandbox's own timing of each
 * call (`durationMs`), never anything the candidate reports.
 */
import {
  defineTask,
  type Metrics,
  type OutputCheck,
  type RunInfo,
  type Workload,
  type WorkloadResult,
} from "../../src/task/api.ts";
import { checkPlacement, type Shape, scoreParts, simulate, unpackPlacement } from "./simulator.ts";
import { stressWorkloads } from "./stress.ts";
import { type EplbInput, nextWindow, splitTrace } from "./workloads.ts";

function shapeOf(input: EplbInput): Shape {
  return {
    layers: input.weight.length,
    experts: input.weight[0]?.length ?? 0,
    replicas: input.numReplicas,
    gpus: input.numGpus,
  };
}

const MAX_FEEDBACK_WINDOWS = 5;

/**
 * The mean time of the calls after the first, in window order, as the sandbox
 * measured them: the first call also pays for compiling the program and is
 * left out. Undefined when a call has no measured time: the time must come
 * from the sandbox, and an untimed split earns no speed points.
 */
export function meanCallMs(results: readonly (WorkloadResult | undefined)[]): number | undefined {
  const timed = results.length > 1 ? results.slice(1) : results;
  let total = 0;
  for (const r of timed) {
    const ms = r?.durationMs;
    if (ms === undefined || !Number.isFinite(ms) || ms < 0) return undefined;
    total += ms;
  }
  return timed.length > 0 ? total / timed.length : undefined;
}

function round(x: number, digits: number): string {
  return x.toFixed(digits);
}

export default defineTask<EplbInput>({
  id: "eplb",
  title: "EPLB: replicate and place MoE experts on GPUs to balance next window's load, fast",
  version: "1",
  dir: import.meta.dirname,
  metric: { name: "balance", direction: "maximize", unit: "mean/max GPU load" },
  // The speed points come from the sandbox's clock, which moves with the machine's load.
  noisy: ["time_ms", "cpu_ms", "speed_points", "time_penalty"],
  // score = 90 · balance + speed points (≤ 10): balance 0 → 0, a perfect balance in ≤ 1 ms → 100.
  anchors: { baseline: 0, target: 1 },
  limits: { timeoutMs: 60_000, memoryMb: 512 },

  workloads(split) {
    return [...splitTrace(split).workloads];
  },

  stress: stressWorkloads,

  check(workload, output, run?: RunInfo): OutputCheck {
    const next = nextWindow(workload);
    const shape = shapeOf(workload.input);
    const unpacked = unpackPlacement(output);
    if (!unpacked.ok) return { valid: false, metrics: {}, error: unpacked.error };
    const checked = checkPlacement(unpacked.nested, next, shape);
    if (!checked.ok) return { valid: false, metrics: {}, error: checked.error };
    // Anything else in the output (a claimed balance or time, say) is ignored.
    const sim = simulate(checked.placement, next, shape);
    const metrics: Metrics = {
      balance: sim.gpuBalance,
      balance_slots: sim.slotBalance,
      worst_layer: sim.worstLayer,
      worst_layer_ratio: sim.worstRatio,
    };
    // The sandbox's own measurements of the call, for the record (the score uses durationMs).
    if (run?.cpuMs !== undefined && Number.isFinite(run.cpuMs)) metrics.cpu_ms = run.cpuMs;
    return { valid: true, metrics };
  },

  aggregate(_split, results, workloads) {
    const byId = new Map(results.map((r) => [r.workload, r]));
    let invalid = 0;
    let balance = 0;
    let slots = 0;
    for (const w of workloads) {
      const r = byId.get(w.id);
      const b = r?.valid ? r.metrics.balance : undefined;
      if (r === undefined || b === undefined || !Number.isFinite(b)) {
        invalid++;
        continue;
      }
      balance += b;
      slots += r.metrics.balance_slots ?? 0;
    }
    if (invalid > 0 || workloads.length === 0) return { score: 0, metrics: { invalid } };
    const n = workloads.length;
    const meanMs = meanCallMs(workloads.map((w) => byId.get(w.id) as WorkloadResult));
    const parts = scoreParts(balance / n, meanMs === undefined ? undefined : meanMs / 1000);
    const metrics: Metrics = {
      balance: balance / n,
      balance_slots: slots / n,
      balance_points: parts.balancePoints,
      speed_points: parts.speedPoints,
      time_penalty: parts.penalty,
    };
    if (meanMs !== undefined) metrics.time_ms = meanMs;
    const cpu = workloads.slice(1).map((w) => byId.get(w.id)?.metrics.cpu_ms);
    if (cpu.length > 0 && cpu.every((x) => x !== undefined)) {
      metrics.cpu_ms = (cpu as number[]).reduce((a, b) => a + b, 0) / cpu.length;
    }
    return { score: parts.score, metrics };
  },

  feedback(results: WorkloadResult[], workloads: Workload<EplbInput>[]): string {
    const lines: string[] = [];
    for (const r of results)
      if (!r.valid) lines.push(`${r.workload}: invalid: ${r.error ?? "no valid output"}`);
    const valid = results.filter((r) => r.valid && r.metrics.balance !== undefined);
    if (valid.length === 0) return lines.join("\n");
    const mean = valid.reduce((s, r) => s + (r.metrics.balance as number), 0) / valid.length;
    const meanMs = meanCallMs(results);
    const parts = scoreParts(mean, meanMs === undefined ? undefined : meanMs / 1000);
    lines.push(
      `balance over ${valid.length} of ${workloads.length} windows: ${round(mean, 4)} (${round(parts.balancePoints, 1)} points); ` +
        (meanMs === undefined
          ? "time not measured"
          : `mean call time ${round(meanMs, 2)} ms (${round(parts.speedPoints, 1)} speed points` +
            (parts.penalty > 0 ? `, −${round(parts.penalty, 1)} for exceeding 10 ms)` : ")")),
    );
    const worst = [...valid].sort((a, b) => (a.metrics.balance as number) - (b.metrics.balance as number));
    lines.push("worst windows (balance; the layer with the highest max/mean GPU load):");
    for (const r of worst.slice(0, MAX_FEEDBACK_WINDOWS)) {
      const m = r.metrics;
      lines.push(
        `  ${r.workload}: ${round(m.balance as number, 4)}; layer ${m.worst_layer}: max GPU load ${round(m.worst_layer_ratio as number, 2)}× the mean`,
      );
    }
    return lines.join("\n");
  },
});
