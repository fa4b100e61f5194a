/**
 * Evaluation time of the best-known reference (the heaviest program here),
 * against the initial program measured in the same run: through the engine's
 * evaluator (bundle, sandboxed child process, trusted check), and its parts
 * in-process (the program's own search, the trusted check of its outputs).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchResult } from "../../bench/run.ts";
import { median, timed } from "../../bench/measure.ts";
import type { Split } from "../../src/core/types.ts";
import { Evaluator } from "../../src/evaluate/index.ts";
import { ProcessSandbox } from "../../src/sandbox/index.ts";
import { loadTask } from "../../src/task/load.ts";
import { run } from "./driver.ts";
import task from "./task.ts";

const REPEATS = 5;

export default async function cloudcastBench(): Promise<BenchResult[]> {
  const loaded = await loadTask("cloudcast");
  const sandbox = new ProcessSandbox({ concurrency: 1 });
  const evaluator = new Evaluator(loaded, sandbox, { cacheSize: 0 });
  const code = (file: string) => readFileSync(join(import.meta.dirname, file), "utf8");
  const best = code("references/best-known.ts");
  const seed = loaded.initialCode;
  const rows: BenchResult[] = [];
  try {
    // Warm-up: workloads, trusted anchors (cheapest paths, egress bound), esbuild.
    for (const split of ["train", "test"] as const) await evaluator.evaluate(seed, split);

    for (const split of ["train", "test"] as Split[]) {
      const bestMs: number[] = [];
      const seedMs: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        bestMs.push(await timed(() => evaluator.evaluate(best, split)));
        seedMs.push(await timed(() => evaluator.evaluate(seed, split)));
      }
      const n = (await task.workloads(split)).length;
      rows.push({
        name: `cloudcast best-known evaluation, ${split} (${n} workloads)`,
        value: median(bestMs),
        unit: "ms",
        note: `median of ${REPEATS}, sandboxed; ${(median(bestMs) / median(seedMs)).toFixed(1)}× the initial program's ${median(seedMs).toFixed(0)} ms`,
      });
    }

    // The parts, in-process: the program's own search and the trusted check of its outputs.
    const program = await import("./references/best-known.ts");
    for (const split of ["train", "test"] as Split[]) {
      const workloads = await task.workloads(split);
      const searchMs: number[] = [];
      const checkMs: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const outputs: unknown[] = [];
        searchMs.push(
          await timed(() => {
            for (const w of workloads) outputs.push(JSON.parse(JSON.stringify(run(program, w.input))));
          }),
        );
        checkMs.push(
          await timed(() => {
            workloads.forEach((w, j) => {
              if (!task.check(w, outputs[j]).valid) throw new Error(`best-known invalid on ${w.id}`);
            });
          }),
        );
      }
      rows.push({
        name: `cloudcast best-known search in-process, ${split}`,
        value: median(searchMs),
        unit: "ms",
        note: `median of ${REPEATS}`,
      });
      rows.push({
        name: `cloudcast trusted check of its outputs, ${split}`,
        value: median(checkMs),
        unit: "ms",
        note: `median of ${REPEATS}; validation and simulation of ${workloads.length} topologies`,
      });
    }
  } finally {
    await sandbox.close();
  }
  return rows;
}
