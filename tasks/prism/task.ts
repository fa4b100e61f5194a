/**
 * Prism model placement (trusted side). The candidate returns which models go
 * on which GPU; validity and the KV-cache pressure are recomputed here from
 * the case itself.
 */
import {
  type Anchors,
  defineTask,
  type Metrics,
  type OutputCheck,
  type Workload,
  type WorkloadResult,
} from "../../src/task/api.ts";
import { stressWorkloads } from "./stress.ts";
import { caseScore, checkPlacement, idealPressure, maxPressure, roundRobin } from "./simulator.ts";
import { type PrismInput, splitCases } from "./workloads.ts";

interface Anchored {
  /** Max pressure of round-robin: the case's 0. */
  base: number;
  /** The lower bound (all demand over all free memory): the case's 100. */
  ideal: number;
}

const anchorCache = new WeakMap<PrismInput, Anchored>();

export function caseAnchors(input: PrismInput): Anchored {
  let a = anchorCache.get(input);
  if (!a) {
    a = { base: maxPressure(input, roundRobin(input)), ideal: idealPressure(input) };
    anchorCache.set(input, a);
  }
  return a;
}

/** Mean round-robin and mean lower-bound pressure of a split's cases (for the record). */
export function splitAnchors(workloads: readonly Workload<PrismInput>[]): Anchors {
  let baseline = 0;
  let target = 0;
  for (const w of workloads) {
    const a = caseAnchors(w.input);
    baseline += a.base;
    target += a.ideal;
  }
  return { baseline: baseline / workloads.length, target: target / workloads.length };
}

const MAX_FEEDBACK_CASES = 6;

function fmt(x: number): string {
  return x >= 1000 ? x.toExponential(2) : x.toFixed(4);
}

export default defineTask<PrismInput>({
  id: "prism",
  title: "Prism: place LLMs on GPUs to minimise the highest KV-cache pressure",
  version: "1",
  dir: import.meta.dirname,
  metric: { name: "max_kvpr", direction: "minimize", unit: "req/s per GB (mean over cases)" },
  // Mean round-robin and lower-bound pressure of the train cases; the score itself is the
  // mean of per-case scores (see caseScore).
  anchors: { baseline: 0.05764, target: 0.033654 },
  limits: { timeoutMs: 60_000, memoryMb: 512 },

  workloads(split) {
    return splitCases(split);
  },

  stress: stressWorkloads,

  check(workload, output): OutputCheck {
    const input = workload.input;
    const { base, ideal } = caseAnchors(input);
    const metrics: Metrics = { round_robin_kvpr: base, ideal_kvpr: ideal };
    const checked = checkPlacement(output, input);
    if (!checked.ok) return { valid: false, metrics, error: checked.error };
    // Anything else in the output (a claimed pressure, say) is ignored.
    const pressure = maxPressure(input, checked.gpus);
    metrics.max_kvpr = pressure;
    metrics.case_score = caseScore(pressure, base, ideal);
    return { valid: true, metrics };
  },

  aggregate(_split, results, workloads) {
    const byId = new Map(results.map((r) => [r.workload, r]));
    let invalid = 0;
    let score = 0;
    let pressure = 0;
    for (const w of workloads) {
      const r = byId.get(w.id);
      const s = r?.valid ? r.metrics.case_score : undefined;
      const p = r?.valid ? r.metrics.max_kvpr : undefined;
      if (s === undefined || p === undefined || !Number.isFinite(s) || !Number.isFinite(p)) {
        invalid++;
        continue;
      }
      score += s;
      pressure += p;
    }
    // A case that fails (throws, times out, is invalid) is not skipped: the whole split scores 0.
    if (invalid > 0 || workloads.length === 0) return { score: 0, metrics: { invalid } };
    const n = workloads.length;
    const anchors = splitAnchors(workloads);
    const metrics: Metrics = {
      max_kvpr: pressure / n,
      round_robin_kvpr: anchors.baseline,
      ideal_kvpr: anchors.target,
    };
    return { score: score / n, metrics };
  },

  feedback(results: WorkloadResult[], workloads: Workload<PrismInput>[]): string {
    const shape = new Map(workloads.map((w) => [w.id, w.input]));
    const lines: string[] = [];
    for (const r of results)
      if (!r.valid) lines.push(`${r.workload}: invalid: ${r.error ?? "no valid output"}`);
    const valid = results
      .filter((r) => r.valid && r.metrics.case_score !== undefined)
      .sort((a, b) => (a.metrics.case_score as number) - (b.metrics.case_score as number));
    if (valid.length > 0) {
      lines.push("cases by score, worst first (max KV-cache pressure vs round-robin and the lower bound):");
      for (const r of valid.slice(0, MAX_FEEDBACK_CASES)) {
        const m = r.metrics;
        const input = shape.get(r.workload);
        const size = input ? ` (${input.gpuNum} GPUs, ${input.models.length} models)` : "";
        lines.push(
          `  ${r.workload}${size}: ${fmt(m.max_kvpr as number)} vs round-robin ${fmt(m.round_robin_kvpr as number)}, ` +
            `lower bound ${fmt(m.ideal_kvpr as number)}: case score ${(m.case_score as number).toFixed(1)}`,
        );
      }
      if (valid.length > MAX_FEEDBACK_CASES)
        lines.push(`  … and ${valid.length - MAX_FEEDBACK_CASES} more cases`);
    }
    return lines.join("\n");
  },
});
