import type { Evaluation, Split } from "../core/types.ts";

/**
 * Where the engine sends evaluations: trusted, sandboxed scoring of code on a
 * split, here or on other machines. Implementations: `InProcessQueue` (the
 * engine's own sandbox pool, the default) and `WorkerQueue` (jobs in the
 * run's PostgreSQL, taken by `adrs worker` processes on any machine). The
 * engine sees no difference.
 */
export interface JobQueue {
  /**
   * Scores code on a split, or only on the listed workloads of it (a
   * strategy's screen on a minibatch: the score is then the task's aggregate
   * over those). Every ok evaluation carries a 0–100 score per workload. Never
   * rejects for a candidate's failure.
   *
   * `options.timeoutMs` lowers the time limit (an adaptive limit);
   * `options.key` names the job (a candidate and its split, e.g.
   * `c000012/train`): a result is stored under it at most once, and a job
   * whose result is stored is never run again (after a kill, on resume).
   */
  evaluate(
    code: string,
    split: Split,
    workloads?: readonly string[],
    options?: JobOptions,
  ): Promise<Evaluation>;
  /** The ids of a split's workloads, in the split's order. */
  workloadIds(split: Split): Promise<string[]>;
  /** The evaluator's own limits: the ceiling of an adaptive time limit (`options.timeoutMs` lowers it). */
  readonly limits?: { timeoutMs: number };
}

export interface JobOptions {
  timeoutMs?: number;
  key?: string;
  /** Run it again, past the evaluation cache: a re-evaluation of a noisy task (give it a key of its own). */
  fresh?: boolean;
  /** Who the evaluation is for (a candidate id): the model calls of a task that declares models are charged to it. */
  chargeTo?: string;
}

/** The store key of a job's result (the evaluation cache's keys start with a task id, never with this). */
export function jobResultKey(key: string): string {
  return `job:${key}`;
}
