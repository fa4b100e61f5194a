/**
 * Telemetry repair (trusted side). The program returns, per interface, a
 * repaired status, rx and tx with confidences; task.ts checks that every
 * interface is answered with values in range and scores them against the
 * truth, which never leaves this side.
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
import { BUGS } from "./perturb.ts";
import { isCorrect, publishedScore, scoreRepair, WEIGHTS } from "./scoring.ts";
import type { Repair, TelemetryInput } from "./telemetry.ts";
import { repairProblem } from "./validate.ts";
import { stressWorkloads } from "./stress.ts";
import { type Scenario, scenarioOf, scenarios } from "./workloads.ts";

function scenarioFor(workload: Workload<TelemetryInput>): Scenario {
  let s = scenarioOf(workload.id);
  if (!s) {
    if (workload.split === "stress") stressWorkloads();
    else scenarios(workload.split);
    s = scenarioOf(workload.id);
  }
  if (!s) throw new Error(`telemetry-repair: unknown scenario ${workload.id}`);
  return s;
}

/**
 * The 0 anchor of a split: the combined score of passing every value through
 * with the best single confidence for the whole split (the share of counters
 * that are correct as they come). No program that repairs nothing and tells
 * nothing apart can score above it; 100 is a perfect repair.
 */
export function splitAnchors(workloads: readonly Workload<TelemetryInput>[]): Anchors {
  let counterAndStatus = 0;
  let correct = 0;
  let counters = 0;
  for (const w of workloads) {
    const s = scenarioFor(w);
    const pass: Repair = {};
    for (const [id, r] of Object.entries(w.input.telemetry)) {
      pass[id] = {
        interface_status: [r.interface_status, r.interface_status, 1],
        rx_rate: [r.rx_rate, r.rx_rate, 1],
        tx_rate: [r.tx_rate, r.tx_rate, 1],
      };
      const t = s.truth[id];
      if (!t) continue;
      correct += (isCorrect(t.rx_rate, r.rx_rate) ? 1 : 0) + (isCorrect(t.tx_rate, r.tx_rate) ? 1 : 0);
      counters += 2;
    }
    const scores = scoreRepair(pass, s.truth);
    counterAndStatus += WEIGHTS.counter * scores.counter + WEIGHTS.status * scores.status;
  }
  const p = counters === 0 ? 1 : correct / counters;
  const baseline = counterAndStatus / workloads.length + WEIGHTS.calibration * (1 - p * (1 - p));
  return { baseline, target: 1 };
}

const anchorCache = new Map<string, Anchors>();

function anchorsOf(split: Split, workloads: readonly Workload<TelemetryInput>[]): Anchors {
  const key = `${split}|${workloads.map((w) => w.id).join(",")}`;
  let a = anchorCache.get(key);
  if (!a) {
    a = splitAnchors(workloads);
    anchorCache.set(key, a);
  }
  return a;
}

const round = (x: number) => Number(x.toFixed(6));

const METRIC_KEYS = [
  "combined",
  "counter_accuracy",
  "status_accuracy",
  "calibration",
  "published_calibration",
  "published_combined",
] as const;

export default defineTask<TelemetryInput>({
  id: "telemetry-repair",
  title: "Telemetry repair: fix corrupted router counters, with calibrated confidences (HotNets'24)",
  version: "1",
  dir: import.meta.dirname,
  metric: { name: "combined", direction: "maximize" },
  // Train split: best-constant-confidence passthrough → 0, perfect repair → 100.
  anchors: { baseline: 0.866749, target: 1 },
  limits: { timeoutMs: 60_000, memoryMb: 512 },

  stress: stressWorkloads,

  workloads(split) {
    return scenarios(split).map((s) => s.workload);
  },

  check(workload, output): OutputCheck {
    const s = scenarioFor(workload);
    const problem = repairProblem(output, workload.input.telemetry);
    if (problem) return { valid: false, metrics: {}, error: problem };
    // Only the repaired values and confidences count; the "original" slot and anything else are ignored.
    const scores = scoreRepair(output as Repair, s.truth);
    return {
      valid: true,
      metrics: {
        combined: scores.combined,
        counter_accuracy: scores.counter,
        status_accuracy: scores.status,
        calibration: scores.calibration,
        published_calibration: scores.publishedCalibration,
        published_combined: scores.publishedCombined,
        wrong_counters: scores.wrong,
        overconfident: scores.overconfident,
        underconfident: scores.underconfident,
      },
    };
  },

  aggregate(split, results, workloads) {
    const byId = new Map(results.map((r) => [r.workload, r]));
    const sums: Record<string, number> = {};
    const perBug: Record<string, { sum: number; n: number }> = {};
    let invalid = 0;
    for (const w of workloads) {
      const r = byId.get(w.id);
      if (!r?.valid || r.metrics.combined === undefined || !Number.isFinite(r.metrics.combined)) {
        invalid++;
        continue;
      }
      for (const k of [...METRIC_KEYS, "wrong_counters", "overconfident"]) {
        sums[k] = (sums[k] ?? 0) + (r.metrics[k] ?? 0);
      }
      const bug = scenarioFor(w).bug;
      perBug[bug] ??= { sum: 0, n: 0 };
      (perBug[bug] as { sum: number; n: number }).sum += r.metrics.combined;
      (perBug[bug] as { sum: number; n: number }).n++;
    }
    if (invalid > 0) return { score: 0, metrics: { invalid } };
    const n = workloads.length;
    const metrics: Metrics = {};
    for (const k of METRIC_KEYS) metrics[k] = round((sums[k] ?? 0) / n);
    metrics.wrong_counters = sums.wrong_counters ?? 0;
    metrics.overconfident = sums.overconfident ?? 0;
    for (const bug of BUGS) {
      const b = perBug[bug];
      if (b) metrics[`combined.${bug}`] = round(b.sum / b.n);
    }
    const anchors = anchorsOf(split, workloads);
    metrics.baseline_combined = round(anchors.baseline);
    metrics.published_score = round(publishedScore((sums.published_combined ?? 0) / n));
    return { score: normalise((sums.combined ?? 0) / n, anchors), metrics };
  },

  feedback(results: WorkloadResult[], workloads: Workload<TelemetryInput>[]): string {
    const lines: string[] = [];
    const invalid = results.filter((r) => !r.valid);
    for (const r of invalid.slice(0, 3))
      lines.push(`${r.workload}: invalid: ${r.error ?? "no valid output"}`);
    if (invalid.length > 3) lines.push(`… and ${invalid.length - 3} more invalid scenarios`);
    const bugOf = new Map(workloads.map((w) => [w.id, scenarioOf(w.id)?.bug]));
    const valid = results.filter((r) => r.valid && r.metrics.combined !== undefined);
    if (valid.length === 0) return lines.join("\n");
    const f = (x: number | undefined) => (x ?? 0).toFixed(3);
    lines.push("mean per bug (combined; counter accuracy; calibration):");
    for (const bug of BUGS) {
      const of = valid.filter((r) => bugOf.get(r.workload) === bug);
      if (of.length === 0) continue;
      const mean = (k: string) => of.reduce((s, r) => s + (r.metrics[k] ?? 0), 0) / of.length;
      lines.push(
        `  ${bug}: ${f(mean("combined"))}; ${f(mean("counter_accuracy"))}; ${f(mean("calibration"))} (${of.length} scenarios)`,
      );
    }
    lines.push("worst scenarios:");
    for (const r of [...valid]
      .sort((a, b) => (a.metrics.combined ?? 0) - (b.metrics.combined ?? 0))
      .slice(0, 5)) {
      const m = r.metrics;
      lines.push(
        `  ${r.workload}: combined ${f(m.combined)}, counter ${f(m.counter_accuracy)}, calibration ${f(m.calibration)}; ` +
          `${m.wrong_counters ?? 0} counters off by more than 10% (${m.overconfident ?? 0} of them with confidence > 0.5), ` +
          `${m.underconfident ?? 0} correct ones with confidence ≤ 0.5`,
      );
    }
    return lines.join("\n");
  },
});
