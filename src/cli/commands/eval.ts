import { existsSync, readFileSync } from "node:fs";
import type { Evaluation } from "../../core/types.ts";
import { Evaluator } from "../../evaluate/index.ts";
import { ProcessSandbox } from "../../sandbox/index.ts";
import { loadTask } from "../../task/load.ts";
import { UsageError } from "../errors.ts";

export async function evalCommand(taskRef: string, file: string, options: { json?: boolean }): Promise<void> {
  if (!existsSync(file)) throw new UsageError(`${file}: no such program file`);
  const task = await loadTask(taskRef);
  const code = readFileSync(file, "utf8");
  const sandbox = new ProcessSandbox();
  let train: Evaluation;
  let test: Evaluation;
  try {
    const evaluator = new Evaluator(task, sandbox);
    train = await evaluator.evaluate(code, "train");
    test = await evaluator.evaluate(code, "test");
  } finally {
    await sandbox.close();
  }
  const valid = train.status === "ok" && test.status === "ok";
  const report = {
    task: task.id,
    file,
    valid,
    score: train.score,
    testScore: test.score,
    metrics: train.metrics,
    testMetrics: test.metrics,
    status: { train: train.status, test: test.status },
    error: train.error ?? test.error ?? null,
    feedback: train.feedback,
    workloads: { train: train.workloads, test: test.workloads },
  };
  if (!valid) process.exitCode = 1;
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const row = (name: string, e: Evaluation) => {
    const metrics = Object.entries(e.metrics)
      .filter(([k]) => !k.includes("."))
      .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(4)}`)
      .join(" ");
    return `${name.padEnd(6)} ${e.status.padEnd(8)} score ${e.score.toFixed(2).padStart(6)}  ${metrics}`;
  };
  const lines = [`${task.id}: ${file}`, row("train", train), row("test", test)];
  if (report.error) lines.push(`error: ${report.error}`);
  lines.push("", train.feedback);
  process.stdout.write(`${lines.join("\n")}\n`);
}
