/**
 * Transaction scheduling (trusted side). The candidate returns only a
 * schedule per workload; validity and makespan are recomputed here with this
 * folder's own simulator.
 */
import {
  type Anchors,
  defineTask,
  type Metrics,
  normalise,
  type OutputCheck,
  type Workload,
  type WorkloadResult,
} from "../../src/task/api.ts";
import { identityMakespan, lowerBound, parseWorkload, Simulator, type TxnInput } from "./simulator.ts";
import { stressWorkloads } from "./stress.ts";
import { testWorkloads, trainWorkloads } from "./workloads.ts";

interface Prepared {
  simulator: Simulator;
  lowerBound: number;
  identity: number;
}

// Keyed by the input object: the engine hands the same workloads to every check.
const preparedCache = new WeakMap<TxnInput, Prepared>();

function prepare(input: TxnInput): Prepared {
  let p = preparedCache.get(input);
  if (!p) {
    const parsed = parseWorkload(input.txns);
    p = {
      simulator: new Simulator(parsed),
      lowerBound: lowerBound(parsed),
      identity: identityMakespan(parsed),
    };
    preparedCache.set(input, p);
  }
  return p;
}

/**
 * Anchors of a split: 0 at arrival order, 100 at a tenth of the way from the
 * lower bound (longest transaction per workload) back to it. On the train
 * split this is the published 537 / 95.1.
 */
export function splitAnchors(workloads: readonly Workload<TxnInput>[]): Anchors {
  let baseline = 0;
  let optimal = 0;
  for (const w of workloads) {
    const p = prepare(w.input);
    baseline += p.identity;
    optimal += p.lowerBound;
  }
  return { baseline, target: optimal + (baseline - optimal) / 10 };
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  if (typeof v === "object") return "an object";
  return String(v);
}

/** Why `schedule` is not a permutation of 0 … n−1, or null when it is. */
export function scheduleProblem(schedule: unknown, n: number): string | null {
  if (!Array.isArray(schedule))
    return `schedule must be an array of transaction indices, got ${describe(schedule)}`;
  // Past this size the entries are not worth walking to name a culprit.
  if (schedule.length > 2 * n)
    return `schedule has ${schedule.length} entries, expected ${n} (one per transaction)`;
  const seenAt = new Int32Array(n).fill(-1);
  for (let i = 0; i < schedule.length; i++) {
    const v: unknown = schedule[i];
    if (typeof v !== "number" || !Number.isInteger(v)) {
      return `schedule[${i}] is ${describe(v)}, not an integer transaction index`;
    }
    if (v < 0 || v >= n) return `schedule[${i}] = ${v} is out of range 0..${n - 1}`;
    const first = seenAt[v] as number;
    if (first >= 0) return `transaction ${v} appears twice in schedule (positions ${first} and ${i})`;
    seenAt[v] = i;
  }
  const missing: number[] = [];
  for (let t = 0; t < n; t++) if ((seenAt[t] as number) < 0) missing.push(t);
  if (missing.length === 1) return `schedule is missing transaction ${missing[0]}`;
  if (missing.length > 1) {
    const shown = missing.slice(0, 10).join(", ");
    return `schedule is missing ${missing.length} transactions: ${shown}${missing.length > 10 ? ", …" : ""}`;
  }
  return null;
}

export default defineTask<TxnInput>({
  id: "txn-scheduling",
  title: "Transaction scheduling: order transactions to minimise total makespan (VLDB'24)",
  version: "1",
  dir: import.meta.dirname,
  metric: { name: "makespan", direction: "minimize", unit: "time units" },
  anchors: { baseline: 537, target: 95.1 },
  limits: { timeoutMs: 60_000, memoryMb: 512 },

  workloads(split) {
    return split === "train" ? [...trainWorkloads()] : testWorkloads();
  },

  stress: stressWorkloads,

  check(workload, output): OutputCheck {
    const p = prepare(workload.input);
    const metrics: Metrics = { lower_bound: p.lowerBound };
    if (typeof output !== "object" || output === null || Array.isArray(output)) {
      return {
        valid: false,
        metrics,
        error: `output must be an object { schedule: number[] }, got ${describe(output)}`,
      };
    }
    if (!("schedule" in output) || output.schedule === undefined) {
      return { valid: false, metrics, error: "output has no schedule" };
    }
    const problem = scheduleProblem(output.schedule, p.simulator.workload.n);
    if (problem) return { valid: false, metrics, error: problem };
    // Anything else in the output (a claimed makespan, say) is ignored.
    metrics.makespan = p.simulator.makespan(output.schedule as number[]);
    return { valid: true, metrics };
  },

  aggregate(_split, results, workloads) {
    const byId = new Map(results.map((r) => [r.workload, r]));
    const metrics: Metrics = {};
    let total = 0;
    let invalid = 0;
    for (const w of workloads) {
      const makespan = byId.get(w.id)?.valid ? byId.get(w.id)?.metrics.makespan : undefined;
      if (makespan === undefined || !Number.isFinite(makespan)) {
        invalid++;
        continue;
      }
      metrics[`makespan.${w.id}`] = makespan;
      total += makespan;
    }
    if (invalid > 0) return { score: 0, metrics: { ...metrics, invalid } };
    metrics.makespan = total;
    return { score: normalise(total, splitAnchors(workloads)), metrics };
  },

  feedback(results: WorkloadResult[]): string {
    const lines: string[] = [];
    for (const r of results)
      if (!r.valid) lines.push(`${r.workload}: invalid: ${r.error ?? "no valid output"}`);
    const valid = results
      .filter((r) => r.valid && r.metrics.makespan !== undefined)
      .map((r) => {
        const makespan = r.metrics.makespan as number;
        const bound = r.metrics.lower_bound ?? makespan;
        return { id: r.workload, makespan, bound, gap: makespan - bound };
      })
      .sort((a, b) => b.gap - a.gap);
    if (valid.length > 0) {
      lines.push("makespan per workload, largest gap to the lower bound (longest transaction) first:");
      for (const v of valid) {
        const pct = v.bound > 0 ? ` (${((v.makespan / v.bound - 1) * 100).toFixed(0)}% above)` : "";
        lines.push(`  ${v.id}: ${v.makespan} vs lower bound ${v.bound}, gap ${v.gap}${pct}`);
      }
    }
    return lines.join("\n");
  },
});
