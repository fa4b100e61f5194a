/**
 * EPLB speed: the best-known reference against the baseline (DeepSeek's
 * hierarchical EPLB, the initial program), measured in the same run.
 *
 * - The ratio the task's score sees: mean call time as the sandbox measures it
 *   (`durationMs`, every call but the first; input hand-over and the driver's
 *   copy of the maps included), through the engine's evaluator; and the same
 *   in the isolate's CPU time, which a loaded machine disturbs far less.
 * - That fixed per-call cost alone, measured with a program that returns a
 *   placement it computed once.
 * - The algorithms alone, in-process and warmed up: the time of
 *   `rebalanceExperts` itself.
 * - The evaluation time of the best-known reference (bundle, sandbox, trusted
 *   validation and simulation of 29 windows).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchResult } from "../../bench/run.ts";
import { median } from "../../bench/measure.ts";
import type { Evaluation, Split } from "../../src/core/types.ts";
import { Evaluator } from "../../src/evaluate/index.ts";
import { ProcessSandbox } from "../../src/sandbox/index.ts";
import { loadTask } from "../../src/task/load.ts";
import task, { meanCallMs } from "./task.ts";
import type { EplbInput } from "./workloads.ts";

const REPEATS = 5;

/** Computes one valid placement on its first call and returns it on every call: the fixed cost of a call. */
const STORED = `
let stored: unknown;
// EVOLVE-BLOCK-START
export function rebalanceExperts(weight: readonly (readonly number[])[], numReplicas: number): unknown {
  if (stored) return stored;
  const experts = (weight[0] as readonly number[]).length;
  const phy2log = weight.map(() => Array.from({ length: numReplicas }, (_, p) => p % experts));
  const logcnt = weight.map(() => Array.from({ length: experts }, (_, e) => Math.ceil((numReplicas - e) / experts)));
  const log2phy = weight.map(() =>
    Array.from({ length: experts }, (_, e) => Array.from({ length: Math.ceil((numReplicas - e) / experts) }, (_, r) => e + r * experts)),
  );
  stored = { phy2log, log2phy, logcnt };
  return stored;
}
// EVOLVE-BLOCK-END
`;
const IN_PROCESS_PASSES = 20;

type Rebalance = (weight: EplbInput["weight"], r: number, g: number, n: number, gpus: number) => unknown;

export default async function eplbBench(): Promise<BenchResult[]> {
  const loaded = await loadTask("eplb");
  const sandbox = new ProcessSandbox({ concurrency: 1 });
  const evaluator = new Evaluator(loaded, sandbox, { cacheSize: 0 });
  const code = (file: string) => readFileSync(join(import.meta.dirname, file), "utf8");
  const programs = { best: code("references/best-known.ts"), baseline: code("initial.ts") };
  const rows: BenchResult[] = [];
  const callMs = (e: Evaluation) => {
    if (e.status !== "ok") throw new Error(`eplb bench: evaluation ${e.status}: ${e.error}`);
    return meanCallMs(e.workloads) as number;
  };
  const cpuMs = (e: Evaluation) => e.metrics.cpu_ms ?? Number.NaN;
  try {
    // Warm-up: trace generation, esbuild.
    for (const split of ["train", "test"] as const) await evaluator.evaluate(programs.baseline, split);

    for (const split of ["train", "test"] as Split[]) {
      const best: number[] = [];
      const baseline: number[] = [];
      const bestCpu: number[] = [];
      const baselineCpu: number[] = [];
      const fixed: number[] = [];
      const fixedCpu: number[] = [];
      const evaluation: number[] = [];
      let balance = { best: 0, baseline: 0 };
      for (let i = 0; i < REPEATS; i++) {
        const start = performance.now();
        const b = await evaluator.evaluate(programs.best, split);
        evaluation.push(performance.now() - start);
        const d = await evaluator.evaluate(programs.baseline, split);
        const f = await evaluator.evaluate(STORED, split);
        best.push(callMs(b));
        baseline.push(callMs(d));
        fixed.push(callMs(f));
        bestCpu.push(cpuMs(b));
        baselineCpu.push(cpuMs(d));
        fixedCpu.push(cpuMs(f));
        balance = { best: b.metrics.balance as number, baseline: d.metrics.balance as number };
      }
      rows.push({
        name: `eplb best-known speed-up over the baseline, sandboxed wall time, ${split}`,
        value: median(baseline) / median(best),
        unit: "×",
        target: "≥ 5",
        note:
          `mean call ${median(best).toFixed(2)} vs ${median(baseline).toFixed(2)} ms (median of ${REPEATS}); ` +
          `${((median(baseline) - median(fixed)) / (median(best) - median(fixed))).toFixed(1)}× net of the fixed cost; ` +
          `balance ${balance.best.toFixed(4)} vs ${balance.baseline.toFixed(4)}`,
      });
      // The ceiling of this ratio is the baseline's time over the fixed cost alone.
      const netCpu = (median(baselineCpu) - median(fixedCpu)) / (median(bestCpu) - median(fixedCpu));
      rows.push({
        name: `eplb best-known speed-up over the baseline, sandboxed CPU time, ${split}`,
        value: median(baselineCpu) / median(bestCpu),
        unit: "×",
        target: "≥ 13",
        note:
          `mean call ${median(bestCpu).toFixed(2)} vs ${median(baselineCpu).toFixed(2)} ms of isolate CPU; ` +
          `${netCpu.toFixed(1)}× net of the fixed cost; at most ` +
          `${(median(baselineCpu) / median(fixedCpu)).toFixed(1)}× for a program taking no time`,
      });
      rows.push({
        name: `eplb fixed cost of a call (window in, maps copied out), ${split}`,
        value: median(fixed),
        unit: "ms",
        note: `wall; ${median(fixedCpu).toFixed(2)} ms of isolate CPU; a program returning a stored placement`,
      });
      rows.push({
        name: `eplb best-known evaluation, ${split} (29 windows)`,
        value: median(evaluation),
        unit: "ms",
        note: `median of ${REPEATS}; bundle, sandbox, validation and simulation`,
      });
    }

    // The algorithms alone, in-process, after warming up.
    const best = (await import("./references/best-known.ts")).rebalanceExperts as Rebalance;
    const baseline = (await import("./initial.ts")).rebalanceExperts as Rebalance;
    const workloads = await task.workloads("train");
    const pass = (f: Rebalance) => {
      const start = performance.now();
      for (const w of workloads) f(w.input.weight, 288, 8, 4, 32);
      return (performance.now() - start) / workloads.length;
    };
    for (let i = 0; i < 3; i++) {
      pass(best);
      pass(baseline);
    }
    const bestMs: number[] = [];
    const baselineMs: number[] = [];
    for (let i = 0; i < IN_PROCESS_PASSES; i++) {
      bestMs.push(pass(best));
      baselineMs.push(pass(baseline));
    }
    rows.push({
      name: "eplb best-known speed-up over the baseline, algorithm alone (in-process)",
      value: median(baselineMs) / median(bestMs),
      unit: "×",
      target: "≥ 13",
      note: `per call ${median(bestMs).toFixed(3)} vs ${median(baselineMs).toFixed(3)} ms (median of ${IN_PROCESS_PASSES} passes over 29 windows)`,
    });
  } finally {
    await sandbox.close();
  }
  return rows;
}
