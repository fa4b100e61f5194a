/**
 * Runs a comparison's plan: up to `parallel` runs at a time, each an
 * ordinary session (its own store, lock, sandbox and the plan's concurrency).
 * A run that finished is skipped, one that was stopped or killed is resumed,
 * one not there yet is started; so re-running a comparison continues it.
 */
import { join } from "node:path";
import { InputError } from "../core/errors.ts";
import type { RunEvent } from "../core/events.ts";
import type { RunOutcome } from "../engine/engine.ts";
import { isRunDir, runFiles } from "../engine/run-dir.ts";
import { resumeRun, type Session, type SessionOptions, startRun, storedConfig } from "../engine/session.ts";
import { openSqliteStore } from "../store/sqlite/index.ts";
import type { ComparePlan, PlannedRun } from "./plan.ts";

/** Stop reasons after which a run is done: it ran out of what the plan gave it, or reached its target. */
const FINISHED = new Set(["iterations", "budget_usd", "time_limit", "target_score", "patience"]);

/** How one run of the plan went; `skipped`: it had finished before this command, and was left as it was. */
export interface RunResult {
  run: PlannedRun;
  status: "skipped" | "finished" | "stopped" | "failed";
  /** The stop reason. */
  reason: string;
  detail?: string;
}

export interface ScheduleOptions {
  /** Runs at a time (at least 1). */
  parallel: number;
  onEvent?: (run: PlannedRun, event: RunEvent) => void;
  onNotice?: (run: PlannedRun | null, line: string) => void;
  /** Passed to every session (a proposer for tests, the environment for model keys). */
  session?: Pick<SessionOptions, "proposer" | "env">;
}

/** A comparison under way: `stop()` drains every live run and starts no more. */
export interface Schedule {
  done: Promise<RunResult[]>;
  stop(): void;
}

/** Whether a run folder holds a finished run (its stop reason, or null when it must run). */
export async function finishedReason(dir: string): Promise<string | null> {
  if (!isRunDir(dir)) return null;
  const store = await openSqliteStore(join(dir, runFiles.database), { readonly: true });
  try {
    const summary = await store.summary();
    if (summary.state === "stopped" && summary.stopReason && FINISHED.has(summary.stopReason))
      return summary.stopReason;
    return null;
  } finally {
    await store.close();
  }
}

export function schedule(plan: ComparePlan, options: ScheduleOptions): Schedule {
  const queue = [...plan.runs];
  const live = new Set<Session>();
  let stopping = false;
  const results: RunResult[] = [];

  const one = async (run: PlannedRun): Promise<RunResult> => {
    const finished = await finishedReason(run.dir);
    if (finished) return { run, status: "skipped", reason: finished };
    const sessionOptions: SessionOptions = {
      ...options.session,
      onEvent: (e) => options.onEvent?.(run, e),
      onNotice: (line) => options.onNotice?.(run, line),
    };
    const session = isRunDir(run.dir)
      ? await resume(run, sessionOptions)
      : await startRun(run.config, sessionOptions);
    live.add(session);
    // A stop asked for while this session was opening applies to it too.
    if (stopping) session.engine.stop("interrupted");
    let outcome: RunOutcome;
    try {
      outcome = await session.run();
    } finally {
      live.delete(session);
    }
    const status =
      outcome.reason === "error" ? "failed" : FINISHED.has(outcome.reason) ? "finished" : "stopped";
    return { run, status, reason: outcome.reason, ...(outcome.detail ? { detail: outcome.detail } : {}) };
  };

  let badInput: unknown = null;
  const stop = () => {
    stopping = true;
    for (const session of live) session.engine.stop("interrupted");
  };
  const worker = async () => {
    for (let run = queue.shift(); run && !stopping; run = queue.shift()) {
      try {
        results.push(await one(run));
      } catch (e) {
        // Bad input (a model without a key, a run folder of another run) stops the comparison;
        // a run that breaks is one failed run among the others.
        if (e instanceof InputError) {
          badInput ??= e;
          stop();
        } else results.push({ run, status: "failed", reason: "error", detail: (e as Error).message });
      }
    }
  };
  const done = Promise.all(Array.from({ length: Math.max(1, options.parallel) }, worker)).then(() => {
    if (badInput) throw badInput;
    return plan.runs.flatMap((r) => results.find((x) => x.run === r) ?? []);
  });
  return { done, stop };
}

/** Resumes a stored run of the plan, after checking it is the run the plan means. */
async function resume(run: PlannedRun, options: SessionOptions): Promise<Session> {
  const store = await openSqliteStore(join(run.dir, runFiles.database), { readonly: true });
  const { strategy, seed } = await storedConfig(store, run.dir).finally(() => store.close());
  if (strategy.kind !== run.strategy || seed !== run.seed) {
    throw new InputError(
      `${run.dir} holds a ${strategy.kind} run with seed ${seed}, not the ${run.strategy} run with seed ${run.seed} the comparison expects there; move it away`,
    );
  }
  return resumeRun(run.dir, { ...options, budget: run.config.budget });
}
