/**
 * Evaluation time of the state-of-the-art (Hodor-style) and best-known
 * references, measured in one run: through the engine's evaluator (bundle,
 * sandboxed child process, trusted check of every scenario), and the trusted
 * check alone, in-process.
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
import * as bestKnown from "./references/best-known.ts";
import task from "./task.ts";

const REPEATS = 5;

export default async function telemetryRepairBench(): Promise<BenchResult[]> {
  const loaded = await loadTask("telemetry-repair");
  const sandbox = new ProcessSandbox({ concurrency: 1 });
  const evaluator = new Evaluator(loaded, sandbox, { cacheSize: 0 });
  const code = (file: string) => readFileSync(join(import.meta.dirname, file), "utf8");
  const programs = {
    "Hodor-style (state of the art)": code("references/sota.ts"),
    "best-known": code("references/best-known.ts"),
  };
  const rows: BenchResult[] = [];
  try {
    // Warm-up: scenarios perturbed, anchors computed, esbuild started.
    for (const split of ["train", "test"] as const) await evaluator.evaluate(loaded.initialCode, split);
    for (const split of ["train", "test"] as Split[]) {
      const n = (await task.workloads(split)).length;
      for (const [name, program] of Object.entries(programs)) {
        const ms: number[] = [];
        for (let i = 0; i < REPEATS; i++) ms.push(await timed(() => evaluator.evaluate(program, split)));
        rows.push({
          name: `telemetry-repair ${name} evaluation, ${split} (${n} scenarios)`,
          value: median(ms),
          unit: "ms",
          note: `median of ${REPEATS}, sandboxed`,
        });
      }
    }
    // The trusted side alone: validation and scoring of the best-known answers.
    const workloads = await task.workloads("train");
    const answers = workloads.map((w) => JSON.parse(JSON.stringify(run(bestKnown, w.input))));
    const checkMs: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      checkMs.push(
        await timed(() => {
          workloads.forEach((w, j) => {
            if (!task.check(w, answers[j]).valid) throw new Error(`best-known invalid on ${w.id}`);
          });
        }),
      );
    }
    rows.push({
      name: "telemetry-repair trusted check of the best-known answers, train",
      value: median(checkMs),
      unit: "ms",
      note: `median of ${REPEATS}, in-process, ${workloads.length} scenarios`,
    });
  } finally {
    await sandbox.close();
  }
  return rows;
}
