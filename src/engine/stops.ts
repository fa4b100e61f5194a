import type { StopReason } from "../core/events.ts";
import type { ModelCall } from "../core/types.ts";
import type { RunConfig } from "./config.ts";

export interface Stop {
  reason: StopReason;
  detail: string;
}

/** Where the run stands, as the budget rules read it. */
export interface Progress {
  spentUsd: number;
  /** Why the dollar budget refused a request, if it did. */
  exhausted: string | null;
  /** Active seconds of the whole run, earlier sessions included. */
  activeSeconds: number;
  bestScore: number;
  /** The iteration that found the best. */
  bestIteration: number;
  /** The highest iteration settled. */
  lastEvaluatedIteration: number;
}

/** The first budget rule the run has met, in this order: dollars, time, target score, patience. */
export function budgetStop(budget: RunConfig["budget"], p: Progress): Stop | null {
  if (budget.usd !== undefined && (p.exhausted || p.spentUsd >= budget.usd)) {
    return {
      reason: "budget_usd",
      detail: p.exhausted ?? `spent $${p.spentUsd.toFixed(4)} of $${budget.usd}`,
    };
  }
  if (budget.timeLimit !== undefined && p.activeSeconds >= budget.timeLimit) {
    return { reason: "time_limit", detail: `ran ${budget.timeLimit} s` };
  }
  if (budget.targetScore !== undefined && p.bestScore >= budget.targetScore) {
    return { reason: "target_score", detail: `best score ${p.bestScore.toFixed(2)} ≥ ${budget.targetScore}` };
  }
  if (budget.patience !== undefined && p.lastEvaluatedIteration - p.bestIteration >= budget.patience) {
    return { reason: "patience", detail: `no improvement for ${budget.patience} iterations` };
  }
  return null;
}

/**
 * A proposal is lost to the models when it made calls and every one failed
 * (the attempt that ended each call failed: the attempts retried before it do
 * not count); `limit` of those in a row stop the run, rather than spending its
 * iterations on a provider that is down. Returns the streak after this
 * proposal's ledger entries.
 */
export function modelFailures(
  streak: number,
  attempts: readonly Pick<ModelCall, "error" | "retried">[],
  limit: number,
): { streak: number; stop: Stop | null } {
  const calls = attempts.filter((c) => !c.retried);
  const failed = calls.filter((c) => c.error !== undefined);
  if (calls.length === 0 || failed.length < calls.length) return { streak: 0, stop: null };
  const lost = streak + 1;
  if (lost < limit) return { streak: lost, stop: null };
  return {
    streak: lost,
    stop: {
      reason: "models_failing",
      detail: `${limit} proposals in a row lost to model errors; the last: ${failed.at(-1)?.error}`,
    },
  };
}

/** The run's active time on its clock: earlier sessions' and this one's. */
export class ActiveTime {
  private readonly sessionStart: number;

  constructor(
    private readonly before: number,
    private readonly clock: () => number,
  ) {
    this.sessionStart = clock();
  }

  seconds(): number {
    return this.before + (this.clock() - this.sessionStart) / 1000;
  }

  /**
   * Calls `wake` once the time limit has passed (a little after, so the rule
   * then holds), when nothing else may wake the loop to check it. Returns what
   * clears it.
   */
  alarm(timeLimit: number | undefined, wake: () => void): () => void {
    if (timeLimit === undefined) return () => {};
    const remaining = Math.max(0, timeLimit - this.before) * 1000;
    const timer = setTimeout(wake, remaining + 5);
    timer.unref();
    return () => clearTimeout(timer);
  }
}
