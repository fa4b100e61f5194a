import { availableParallelism } from "node:os";
import { type PlannedRun, planCompare, preparePlan, schedule, writeSummary } from "../../compare/index.ts";
import { markdownTable } from "../../compare/table.ts";
import { STRATEGY_KINDS } from "../../search/config.ts";
import { loadTask } from "../../task/load.ts";
import { display } from "./run.ts";

interface CompareFlags {
  strategies?: string;
  seeds: number;
  config?: string;
  model?: string[];
  baseUrl?: string;
  iterations?: number;
  budgetUsd?: number;
  timeLimit?: string;
  targetScore?: number;
  patience?: number;
  editMode?: string;
  proposals?: number;
  evaluations?: number;
  parallel?: number;
  out?: string;
  json?: boolean;
}

export async function compareCommand(task: string | undefined, flags: CompareFlags): Promise<void> {
  const plan = planCompare({
    task,
    strategies: (flags.strategies ?? STRATEGY_KINDS.join(",")).split(","),
    seeds: flags.seeds,
    config: flags.config,
    overrides: {
      models: flags.model,
      baseUrl: flags.baseUrl,
      iterations: flags.iterations,
      budgetUsd: flags.budgetUsd,
      timeLimit: flags.timeLimit,
      targetScore: flags.targetScore,
      patience: flags.patience,
      editMode: flags.editMode,
      proposals: flags.proposals,
      evaluations: flags.evaluations,
    },
    out: flags.out ?? `runs/compare-${(task ?? "task").split(/[\\/]/).filter(Boolean).at(-1)}`,
  });
  await loadTask(plan.task); // an unknown task is named before the compare folder is made
  preparePlan(plan);
  const parallel =
    flags.parallel ?? Math.max(1, Math.floor(availableParallelism() / plan.shared.concurrency.evaluations));
  const say = (line: string) => process.stderr.write(`${line}\n`);
  say(
    `comparing ${plan.strategies.join(", ")} on ${plan.task} over seeds ${plan.seeds.join(", ")}: ${plan.runs.length} runs, ${parallel} at a time, in ${display(plan.out)}`,
  );
  if (plan.shared.models.length === 0)
    say("No model is configured (--model or models: in --config): every run uses the LLM-free tuner.");

  const best = new Map<PlannedRun, number>();
  const noticed = new Set<string>();
  const running = schedule(plan, {
    parallel,
    onNotice: (run, line) => {
      // Every session repeats the same notices (the tuner, the sandbox): say each once.
      if (!noticed.has(line) && !line.startsWith("No model is configured")) say(line);
      noticed.add(line);
      void run;
    },
    onEvent: (run, e) => {
      if (e.type === "run_started") say(`${run.name}: started`);
      else if (e.type === "run_resumed") say(`${run.name}: resumed (${e.pending} pending)`);
      else if (e.type === "program_inserted" && e.program.score > (best.get(run) ?? -1)) {
        best.set(run, e.program.score);
        say(`${run.name}: iteration ${e.program.iteration} best ${e.program.score.toFixed(2)}`);
      } else if (e.type === "run_stopped") say(`${run.name}: stopped (${e.reason})`);
    },
  });
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      say(
        "stopping: the live runs finish what is in flight (Ctrl-C again to quit now); re-run the same command to continue",
      );
      running.stop();
    } else {
      say(`quit; re-run the same command (--out ${display(plan.out)}) to continue`);
      process.exit(130);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let results: Awaited<typeof running.done>;
  try {
    results = await running.done;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  for (const r of results)
    if (r.status === "skipped") say(`${r.run.name}: finished before (${r.reason}), skipped`);
  const summary = await writeSummary(plan);
  const failed = results.filter((r) => r.status === "failed");
  const unfinished =
    plan.runs.length - results.filter((r) => r.status === "finished" || r.status === "skipped").length;
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ dir: plan.out, unfinished, failed: failed.map((r) => ({ run: r.run.name, detail: r.detail ?? null })), ...summary }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(markdownTable(summary));
    process.stdout.write(`\nsummary.json, summary.md and plots in ${display(plan.out)}\n`);
  }
  for (const r of failed) say(`${r.run.name} failed: ${r.detail ?? r.reason}`);
  if (unfinished > 0 && failed.length === 0)
    say(`${unfinished} run${unfinished > 1 ? "s" : ""} unfinished: re-run the same command to continue`);
  if (failed.length > 0) process.exitCode = 1;
}
