import { relative } from "node:path";
import { parseDuration } from "../../core/duration.ts";
import { DiskFullError } from "../../core/errors.ts";
import { type ConfigOverrides, resolveRunConfig } from "../../engine/config.ts";
import { UsageError } from "../errors.ts";
import type { RunOutcome } from "../../engine/engine.ts";
import { defaultRunDir } from "../../engine/run-dir.ts";
import { recordedConfig } from "../../engine/recording.ts";
import { startReplay } from "../../engine/replay.ts";
import { resumeRun, type Session, startRun } from "../../engine/session.ts";
import { driftWatcher } from "../../audit/drift.ts";
import type { RunEvent } from "../../core/events.ts";
import { createProgress } from "../progress.ts";

interface BudgetFlags {
  iterations?: number;
  budgetUsd?: number;
  timeLimit?: string;
  targetScore?: number;
  patience?: number;
  json?: boolean;
  store?: string;
}

interface RunFlags extends BudgetFlags {
  config?: string;
  model?: string[];
  baseUrl?: string;
  out?: string;
  seed?: number;
  editMode?: string;
  proposals?: number;
  ordered?: boolean;
  evaluations?: number;
  repeats?: number;
  replay?: string;
  strategy?: string;
  store?: string;
  queue?: string;
}

export async function runCommand(task: string | undefined, flags: RunFlags): Promise<void> {
  if (flags.replay !== undefined) return replayCommand(task, flags.replay, flags);
  const overrides: ConfigOverrides = {
    task,
    models: flags.model,
    baseUrl: flags.baseUrl,
    iterations: flags.iterations,
    budgetUsd: flags.budgetUsd,
    timeLimit: flags.timeLimit,
    targetScore: flags.targetScore,
    patience: flags.patience,
    out: flags.out,
    seed: flags.seed,
    editMode: flags.editMode,
    proposals: flags.proposals,
    ordered: flags.ordered,
    evaluations: flags.evaluations,
    repeats: flags.repeats,
    strategy: flags.strategy,
    store: flags.store,
    queue: flags.queue,
  };
  const config = resolveRunConfig(flags.config, overrides);
  config.out ??= defaultRunDir(config.task.split(/[\\/]/).filter(Boolean).at(-1) ?? "run");
  const progress = createProgress(config.budget.iterations);
  const drift = driftWatcher(config.audit.driftAlarm, progress.note);
  const session = await startRun(config, {
    onEvent: (e) => {
      progress.onEvent(e);
      drift(e);
    },
    onNotice: progress.note,
  });
  progress.note(`run directory: ${display(session.dir)}`);
  await drive(session, progress, flags.json);
}

/**
 * `adrs run [task] --replay <dir>`: the recorded run's config and task, its
 * models answered from its recording. Budget flags, --out and --evaluations
 * apply; flags that would change what is asked of the models do not.
 */
async function replayCommand(task: string | undefined, recorded: string, flags: RunFlags): Promise<void> {
  const conflicting = (
    [
      ["--config", flags.config],
      ["--model", flags.model],
      ["--base-url", flags.baseUrl],
      ["--seed", flags.seed],
      ["--edit-mode", flags.editMode],
      ["--proposals", flags.proposals],
      ["--ordered", flags.ordered],
      ["--strategy", flags.strategy],
    ] as const
  ).filter(([, v]) => v !== undefined);
  if (conflicting.length > 0) {
    throw new UsageError(
      `--replay reruns the recorded config, so it cannot be combined with ${conflicting.map(([f]) => f).join(", ")}`,
    );
  }
  const config = await recordedConfig(recorded);
  if (task !== undefined && task !== config.task) {
    throw new UsageError(`--replay: ${recorded} is a run of task "${config.task}", not "${task}"`);
  }
  const out =
    flags.out ?? defaultRunDir(`${config.task.split(/[\\/]/).filter(Boolean).at(-1) ?? "run"}-replay`);
  const budget = {
    iterations: flags.iterations,
    usd: flags.budgetUsd,
    timeLimit: flags.timeLimit === undefined ? undefined : seconds(flags.timeLimit),
    targetScore: flags.targetScore,
    patience: flags.patience,
  };
  const progress = createProgress(flags.iterations ?? config.budget.iterations);
  const session = await startReplay(recorded, out, {
    budget,
    ...(flags.evaluations === undefined ? {} : { evaluations: flags.evaluations }),
    onEvent: progress.onEvent,
    onNotice: progress.note,
  });
  progress.note(`replaying ${display(recorded)} into ${display(session.dir)} (no network)`);
  await drive(session, progress, flags.json);
}

export async function resumeCommand(dir: string, flags: BudgetFlags): Promise<void> {
  const budget = {
    iterations: flags.iterations,
    usd: flags.budgetUsd,
    timeLimit: flags.timeLimit === undefined ? undefined : seconds(flags.timeLimit),
    targetScore: flags.targetScore,
    patience: flags.patience,
  };
  let progress = createProgress(0);
  progress.close();
  let drift: ((e: RunEvent) => void) | undefined;
  const session = await resumeRun(dir, {
    budget,
    ...(flags.store ? { store: flags.store } : {}),
    onEvent: (e) => {
      progress.onEvent(e);
      drift?.(e);
    },
    onNotice: (l) => progress.note(l),
  });
  drift = driftWatcher(session.config.audit.driftAlarm, (l) => progress.note(l));
  const summary = await session.store.summary();
  progress = createProgress(session.config.budget.iterations, {
    iteration: summary.iterations,
    evaluations: summary.evaluations,
    best: summary.best?.score ?? 0,
    costUsd: summary.costUsd,
    rejected: summary.rejectedEdits,
    failed: summary.failedEvaluations,
  });
  progress.note(
    `resuming ${display(session.dir)} at iteration ${summary.iterations} (best ${summary.best?.score.toFixed(2) ?? "none"})`,
  );
  await drive(session, progress, flags.json);
}

/** Runs a session with Ctrl-C handling: the first drains, the second quits at once (resumable). */
async function drive(session: Session, progress: ReturnType<typeof createProgress>, json?: boolean) {
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      progress.note(
        "stopping: finishing what is in flight (Ctrl-C again to quit now; `adrs resume` continues either way)",
      );
      session.engine.stop("interrupted");
    } else {
      progress.close();
      process.stderr.write(`quit; resume with: adrs resume ${display(session.dir)}\n`);
      process.exit(130);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let outcome: RunOutcome;
  const resumeHint = `free some space, then continue with: adrs resume ${display(session.dir)}`;
  try {
    outcome = await session.run();
  } catch (e) {
    if (e instanceof DiskFullError) e.message += `; ${resumeHint}`;
    throw e;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    progress.close();
  }
  if (outcome.detail?.startsWith("disk full while writing")) outcome.detail += `; ${resumeHint}`;
  const summary = await reopenSummary(session);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ dir: session.dir, reason: outcome.reason, detail: outcome.detail, ...summary }, null, 2)}\n`,
    );
  } else {
    const best = summary.best;
    process.stdout.write(
      `stopped (${outcome.reason}${outcome.detail ? `: ${outcome.detail}` : ""})\n` +
        (best
          ? `best ${best.id}: score ${best.score.toFixed(2)}${best.testScore != null ? `, test ${best.testScore.toFixed(2)}` : ""}\n`
          : "") +
        (best ? `see it with: adrs best ${display(session.dir)}\n` : ""),
    );
  }
  // A run that could not go on (an error, or models that keep failing) did not do what was asked.
  if (outcome.reason === "error" || outcome.reason === "models_failing") process.exitCode = 1;
}

async function reopenSummary(session: Session) {
  const { openRunStore } = await import("../../engine/run-store.ts");
  const store = await openRunStore(session.dir, {
    readonly: true,
    ...(session.config.store ? { store: session.config.store } : {}),
  });
  try {
    return await store.summary();
  } finally {
    await store.close();
  }
}

function seconds(value: string): number {
  const n = parseDuration(value);
  if (n === null)
    throw new UsageError(`--time-limit: expected seconds or a duration like "30m", got "${value}"`);
  return n;
}

/** A folder as the user would type it: relative to here when inside it. */
export function display(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel && !rel.startsWith("..") ? rel : dir;
}
