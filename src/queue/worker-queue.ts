import { createHash } from "node:crypto";
import { Logger, makeWorkerUtils, type WorkerUtils } from "graphile-worker";
import type pg from "pg";
import type { Evaluation, Split } from "../core/types.ts";
import type { Store } from "../store/store.ts";
import {
  EVALUATE_JOB,
  EVALUATED_CHANNEL,
  type EvaluationPayload,
  failedJob,
  graphileJobKey,
  type JobLimits,
} from "./jobs.ts";
import { type JobOptions, type JobQueue, jobResultKey } from "./queue.ts";

export interface WorkerQueueOptions {
  /** A pool on the run's PostgreSQL database; the queue ends it on close. */
  pool: pg.Pool;
  /** The run's store, where workers put results. */
  store: Pick<Store, "evaluation">;
  runId: string;
  /** The task as the run's config names it, and its version hash (src/queue/task-hash.ts). */
  task: string;
  taskHash: string;
  limits: JobLimits;
  /** The ceiling of an adaptive time limit: the engine's own evaluator's limits. */
  ceiling?: { timeoutMs: number };
  /** The split's workload ids: the engine's own copy of the task answers, no worker needed. */
  workloadIds: (split: Split) => Promise<string[]>;
  /** How often results are looked for besides the notifications (which a reconnect can miss). */
  pollMs?: number;
}

/**
 * Evaluations as jobs in the run's PostgreSQL (graphile-worker), taken by
 * `adrs worker` processes on any machine. A job is queued once per run and
 * key; a job whose result is stored (done while the engine was down) is
 * answered from the store and never queued again.
 */
export class WorkerQueue implements JobQueue {
  private readonly waiting = new Map<
    string,
    { resolve: (e: Evaluation) => void; reject: (e: Error) => void }
  >();
  private poll: NodeJS.Timeout | undefined;

  private constructor(
    private readonly options: WorkerQueueOptions,
    private readonly utils: WorkerUtils,
    private readonly listener: pg.PoolClient,
  ) {}

  static async open(options: WorkerQueueOptions): Promise<WorkerQueue> {
    const utils = await makeWorkerUtils({ pgPool: options.pool, logger: quiet });
    await utils.migrate();
    const listener = await options.pool.connect();
    await listener.query(`listen ${EVALUATED_CHANNEL}`);
    const queue = new WorkerQueue(options, utils, listener);
    listener.on("notification", (n) => {
      const [runId, key] = (n.payload ?? "").split(" ");
      if (runId === options.runId && key) queue.settle(key);
    });
    queue.poll = setInterval(() => queue.sweep(), options.pollMs ?? 2000);
    queue.poll.unref();
    return queue;
  }

  /** The ceiling of an adaptive time limit: the engine's own copy of the task's limits. */
  get limits(): { timeoutMs: number } | undefined {
    return this.options.ceiling;
  }

  async evaluate(
    code: string,
    split: Split,
    workloads?: readonly string[],
    options: JobOptions = {},
  ): Promise<Evaluation> {
    const limits =
      options.timeoutMs === undefined
        ? this.options.limits
        : { ...this.options.limits, timeoutMs: options.timeoutMs };
    const hash = createHash("sha256").update(`${code}\n${workloads ?? ""}\n${limits.timeoutMs ?? ""}`);
    const jobKey = options.key ?? `${split}/${hash.digest("hex")}`;
    const stored = await this.options.store.evaluation(jobResultKey(jobKey));
    if (stored) return stored;
    const done = new Promise<Evaluation>((resolve, reject) => this.waiting.set(jobKey, { resolve, reject }));
    const { runId, task, taskHash } = this.options;
    const payload: EvaluationPayload = {
      runId,
      key: jobKey,
      task,
      taskHash,
      limits,
      code,
      split,
      ...(workloads ? { workloads: [...workloads] } : {}),
      ...(options.fresh ? { fresh: true } : {}),
    };
    // unsafe_dedupe: a job already queued or running under this key is left alone, not queued twice.
    await this.utils.addJob(EVALUATE_JOB, payload, {
      jobKey: graphileJobKey(runId, jobKey),
      jobKeyMode: "unsafe_dedupe",
      maxAttempts: 5,
    });
    return done;
  }

  workloadIds(split: Split): Promise<string[]> {
    return this.options.workloadIds(split);
  }

  async close(): Promise<void> {
    clearInterval(this.poll);
    this.listener.release();
    await this.utils.release();
    await this.options.pool.end();
  }

  /** A notified job: its result is in the store. */
  private async settle(key: string): Promise<void> {
    const waiter = this.waiting.get(key);
    if (!waiter) return;
    const evaluation = await this.options.store.evaluation(jobResultKey(key)).catch(() => undefined);
    if (!evaluation || this.waiting.get(key) !== waiter) return;
    this.waiting.delete(key);
    waiter.resolve(evaluation);
  }

  /** Results a notification did not announce, and jobs every attempt of which failed. */
  private async sweep(): Promise<void> {
    for (const [key, waiter] of [...this.waiting]) {
      await this.settle(key);
      if (this.waiting.get(key) !== waiter) continue;
      const failure = await failedJob(this.options.pool, this.options.runId, key).catch(() => undefined);
      if (failure !== undefined) {
        this.waiting.delete(key);
        waiter.reject(new Error(`the job ${key} failed on every worker that took it: ${failure}`));
      }
    }
  }
}

/** graphile-worker's own log is for its developers; what matters is reported by adrs. */
export const quiet = new Logger(() => (level, message) => {
  if (level === "error") process.stderr.write(`graphile-worker: ${message}\n`);
});
