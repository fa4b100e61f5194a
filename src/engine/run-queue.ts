import { Evaluator, type TaskModelAccess } from "../evaluate/index.ts";
import { InProcessQueue } from "../queue/in-process.ts";
import type { JobQueue } from "../queue/queue.ts";
import { taskHash } from "../queue/task-hash.ts";
import { WorkerQueue } from "../queue/worker-queue.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import { connectPostgres } from "../store/postgres/index.ts";
import type { Store } from "../store/store.ts";
import type { Task } from "../task/contract.ts";
import { ConfigError, type RunConfig } from "./config.ts";
import { runIdOf } from "./run-store.ts";

/**
 * The run's job queue, as its config says: `in-process` (this process's
 * sandboxes) or `workers` (jobs in the run's PostgreSQL for `adrs worker`).
 * Either way the evaluation cache is the run's store.
 */
export async function openRunQueue(
  dir: string,
  config: RunConfig,
  task: Task,
  store: Store,
  sandbox: Sandbox,
  /** Who answers a task's model requests (a task that declares models). */
  models?: TaskModelAccess,
): Promise<{ queue: JobQueue; evaluator: Evaluator; close(): Promise<void> }> {
  // Evaluations outlive the process, in the store: a candidate evaluated just before a kill is not run again on resume.
  const cache = { get: (key: string) => store.evaluation(key), set: store.saveEvaluation.bind(store) };
  const { adaptiveTimeout: _, ...limits } = config.evaluation;
  const evaluator = new Evaluator(task, sandbox, { ...limits, cache, ...(models ? { models } : {}) });
  if (config.queue === "in-process") {
    return { queue: new InProcessQueue(evaluator), evaluator, close: async () => {} };
  }
  if (!config.store) {
    throw new ConfigError(
      "queue: workers take their jobs from the run's PostgreSQL database: set store: (or --store postgres://…) too",
    );
  }
  const queue = await WorkerQueue.open({
    pool: await connectPostgres(config.store),
    store,
    runId: runIdOf(dir),
    task: config.task,
    taskHash: taskHash(task),
    limits,
    ceiling: evaluator.limits,
    workloadIds: (split) => evaluator.workloadIds(split),
  });
  return { queue, evaluator, close: () => queue.close() };
}
