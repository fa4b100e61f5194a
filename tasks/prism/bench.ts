/**
 * Evaluation time of Prism's references through the engine's evaluator
 * (bundle, sandboxed child process, trusted check of 25 cases): the best-known
 * parametric bin packing against Prism's greedy (the state of the art and the
 * initial program), measured in the same run.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchResult } from "../../bench/run.ts";
import { median, timed } from "../../bench/measure.ts";
import type { Split } from "../../src/core/types.ts";
import { Evaluator } from "../../src/evaluate/index.ts";
import { ProcessSandbox } from "../../src/sandbox/index.ts";
import { loadTask } from "../../src/task/load.ts";

const REPEATS = 5;

export default async function prismBench(): Promise<BenchResult[]> {
  const loaded = await loadTask("prism");
  const sandbox = new ProcessSandbox({ concurrency: 1 });
  const evaluator = new Evaluator(loaded, sandbox, { cacheSize: 0 });
  const code = (file: string) => readFileSync(join(import.meta.dirname, file), "utf8");
  const best = code("references/best-known.ts");
  const sota = code("initial.ts");
  const rows: BenchResult[] = [];
  try {
    // Warm-up: the case file, esbuild.
    for (const split of ["train", "test"] as const) await evaluator.evaluate(sota, split);
    for (const split of ["train", "test"] as Split[]) {
      const bestMs: number[] = [];
      const sotaMs: number[] = [];
      const callMs: number[] = [];
      let score = 0;
      for (let i = 0; i < REPEATS; i++) {
        const start = performance.now();
        const e = await evaluator.evaluate(best, split);
        bestMs.push(performance.now() - start);
        if (e.status !== "ok") throw new Error(`prism bench: best-known ${e.status}: ${e.error}`);
        score = e.score;
        callMs.push(e.workloads.reduce((s, w) => s + (w.durationMs ?? 0), 0));
        sotaMs.push(await timed(() => evaluator.evaluate(sota, split)));
      }
      rows.push({
        name: `prism best-known evaluation, ${split} (25 cases)`,
        value: median(bestMs),
        unit: "ms",
        note:
          `median of ${REPEATS}, sandboxed; score ${score.toFixed(2)}; its calls ${median(callMs).toFixed(0)} ms; ` +
          `greedy (state of the art) ${median(sotaMs).toFixed(0)} ms`,
      });
    }
  } finally {
    await sandbox.close();
  }
  return rows;
}
