import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Spread, spread } from "../../core/stats.ts";
import type { Evaluation, Metrics, Split, WorkloadResult } from "../../core/types.ts";
import { Evaluator } from "../../evaluate/index.ts";
import { ProcessSandbox } from "../../sandbox/index.ts";
import { loadTask } from "../../task/load.ts";
import { UsageError } from "../errors.ts";
import { EXIT } from "../exit.ts";

export interface EvalFlags {
  json?: boolean;
  split?: "train" | "test" | "both";
  /** Milliseconds (parsed from --timeout). */
  timeout?: number;
  memoryMb?: number;
  repeat?: number;
}

/** One split as reported: its evaluations summed up (medians over repeats), or why it did not run. */
interface SplitReport {
  status: Evaluation["status"] | "not run";
  /** Why the split did not run; null when it ran. */
  notRun: string | null;
  score: number | null;
  metrics: Metrics | null;
  error: string | null;
  feedback: string;
  workloads: WorkloadResult[];
  /** With --repeat: median and spread of the score and of each metric. */
  spread: { score: Spread; metrics: Record<string, Spread> } | null;
}

/**
 * `adrs eval <task> <file>`: evaluates a program file on the task's train
 * split, then on its test split only if the train split is valid (so a program
 * that hangs costs one timeout, not two). `--repeat K` evaluates K times and
 * reports the median and spread of each score and metric: the noise floor of
 * a timed metric.
 */
export async function evalCommand(taskRef: string, file: string, flags: EvalFlags): Promise<void> {
  const code = readProgram(file);
  const repeat = flags.repeat ?? 1;
  const splits: Split[] = flags.split === "both" || !flags.split ? ["train", "test"] : [flags.split];
  // The protection line waits until the task has loaded: a bad task argument gets its error alone.
  const held: string[] = [];
  let hold = true;
  const log = (line: string) => (hold ? held.push(line) : process.stderr.write(`${line}\n`));
  // One job at a time, each on a child started ahead of it (prewarm below): none waits for a boot.
  const sandbox = new ProcessSandbox({ concurrency: 1, warm: 1, log });
  sandbox.ready().catch(() => undefined);
  const reports = new Map<Split, SplitReport>();
  let taskId: string;
  try {
    const task = await loadTask(taskRef);
    if (task.models)
      throw new UsageError(
        `task ${task.id} declares models (its candidates or its judge call them): adrs eval runs programs without models, ledger or budget; evaluate it in a run (adrs run, with models for the roles task and judge)`,
      );
    taskId = task.id;
    hold = false;
    for (const line of held.splice(0)) log(line);
    const evaluator = new Evaluator(task, sandbox, {
      ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout }),
      ...(flags.memoryMb === undefined ? {} : { memoryMb: flags.memoryMb }),
      // Errors and stack frames name the user's file.
      sourcefile: file,
      // Every repeat runs: none is answered from the cache.
      ...(repeat > 1 ? { cacheSize: 0 } : {}),
    });
    sandbox.prewarm(evaluator.limits, Math.min(2, splits.length * repeat));
    for (const split of splits) {
      const train = reports.get("train");
      if (split === "test" && train && train.status !== "ok") {
        reports.set(
          "test",
          notRun(
            `the train split is not valid (${train.status}); the test split runs only for a valid program`,
          ),
        );
        continue;
      }
      const runs: Evaluation[] = [];
      do runs.push(await evaluator.evaluate(code, split));
      while (runs.length < repeat && runs.at(-1)?.status === "ok");
      reports.set(split, summarise(runs, repeat));
    }
  } finally {
    await sandbox.close();
  }
  for (const split of ["train", "test"] as const) {
    if (!reports.has(split)) reports.set(split, notRun("not asked for (--split)"));
  }
  const train = reports.get("train") as SplitReport;
  const test = reports.get("test") as SplitReport;
  const ran = [train, test].filter((r) => r.notRun === null);
  const valid = ran.length > 0 && ran.every((r) => r.status === "ok");
  if (!valid) process.exitCode = EXIT.failed;
  if (flags.json) {
    const report = {
      task: taskId,
      file,
      valid,
      score: train.score,
      testScore: test.score,
      metrics: train.metrics,
      testMetrics: test.metrics,
      status: { train: train.status, test: test.status },
      notRun: { train: train.notRun, test: test.notRun },
      error: train.error ?? test.error,
      feedback: train.notRun === null ? train.feedback : test.feedback,
      workloads: { train: train.workloads, test: test.workloads },
      ...(repeat > 1 ? { repeat: { runs: repeat, train: train.spread, test: test.spread } } : {}),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const title = `${taskId}: ${file}${repeat > 1 ? ` (${repeat} runs each: median ±spread, spread = max − min)` : ""}`;
  const lines = [title, row("train", train), row("test", test)];
  const error = train.error ?? test.error;
  if (error) lines.push(`error: ${error}`);
  const feedback = train.notRun === null ? train.feedback : test.feedback;
  if (feedback) lines.push("", feedback);
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** The program's source; a usage error naming the file when it is missing, a folder or unreadable. */
export function readProgram(file: string): string {
  if (!existsSync(file)) throw new UsageError(`${file}: no such program file`);
  if (statSync(file).isDirectory()) {
    const initial = join(file, "initial.ts");
    throw new UsageError(
      `${file} is a folder, not a program file${existsSync(initial) ? `: give a file such as ${initial}` : ""}`,
    );
  }
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`${file}: cannot read the program file: ${(e as Error).message}`);
  }
}

function notRun(why: string): SplitReport {
  const none = { score: null, metrics: null, error: null, feedback: "", workloads: [], spread: null };
  return { status: "not run", notRun: why, ...none };
}

/** The runs of one split: the failed one if any (runs stop at a failure), else medians over all. */
function summarise(runs: Evaluation[], repeat: number): SplitReport {
  const last = runs.at(-1) as Evaluation;
  const common = {
    notRun: null,
    error: last.error ?? null,
    feedback: last.feedback,
    workloads: last.workloads,
  };
  if (last.status !== "ok") {
    return { ...common, status: last.status, score: last.score, metrics: last.metrics, spread: null };
  }
  const metrics: Record<string, Spread> = {};
  for (const name of Object.keys(last.metrics)) {
    metrics[name] = spread(runs.map((e) => e.metrics[name] ?? Number.NaN));
  }
  return {
    ...common,
    status: "ok",
    score: spread(runs.map((e) => e.score)).median,
    metrics: Object.fromEntries(Object.entries(metrics).map(([k, s]) => [k, s.median])),
    spread: repeat > 1 ? { score: spread(runs.map((e) => e.score)), metrics } : null,
  };
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

function row(name: Split, r: SplitReport): string {
  const head = `${name.padEnd(6)} ${r.status.padEnd(8)}`;
  if (r.notRun !== null) return `${head} ${r.notRun}`;
  const score = `score ${(r.score ?? 0).toFixed(2).padStart(6)}${r.spread ? ` ±${r.spread.score.spread.toFixed(2)}` : ""}`;
  const metrics = Object.entries(r.metrics ?? {})
    .filter(([k]) => !k.includes("."))
    .map(([k, v]) => {
      const s = r.spread?.metrics[k];
      return `${k}=${fmt(v)}${s && s.spread > 0 ? ` ±${fmt(s.spread)}` : ""}`;
    })
    .join(" ");
  return `${head} ${score}  ${metrics}`;
}
