import { writeFileSync } from "node:fs";
import { UsageError } from "../errors.ts";
import { withRunStore } from "./open-run.ts";

export async function bestCommand(
  dir: string,
  options: { out?: string; json?: boolean; store?: string },
): Promise<void> {
  const best = await withRunStore(dir, (store) => store.best(), options.store);
  if (!best) throw new UsageError(`${dir}: no program has been evaluated yet`);
  const { program, evaluation, test } = best;
  if (options.out) {
    try {
      writeFileSync(options.out, program.code);
    } catch (e) {
      throw new UsageError(`--out ${options.out}: cannot write the program there: ${(e as Error).message}`);
    }
  }
  if (options.json) {
    const report = {
      id: program.id,
      score: program.score,
      // Half the range of its re-evaluations (a noisy task's seed or a best that won its round); null: evaluated once.
      spread: program.noise?.spread ?? null,
      testScore: test?.score ?? null,
      metrics: program.metrics,
      testMetrics: test?.metrics ?? null,
      iteration: program.iteration,
      generation: program.generation,
      parentId: program.parentId,
      model: program.model,
      feedback: evaluation?.feedback ?? program.feedback,
      code: program.code,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const metrics = Object.entries(program.metrics)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(" ");
  process.stderr.write(
    `best ${program.id} (iteration ${program.iteration}, generation ${program.generation}, ${program.model}): ` +
      `score ${program.score.toFixed(2)}${program.noise ? ` ± ${program.noise.spread.toFixed(2)} (${program.noise.samples.length} evaluations)` : ""}, test ${test ? test.score.toFixed(2) : "-"}\n${metrics}\n` +
      (options.out ? `written to ${options.out}\n` : ""),
  );
  if (!options.out) process.stdout.write(program.code.endsWith("\n") ? program.code : `${program.code}\n`);
}
