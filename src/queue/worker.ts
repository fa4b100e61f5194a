import { makeWorkerUtils, run, type Runner, type Task as JobHandler } from "graphile-worker";
import { Kysely, PostgresDialect } from "kysely";
import { InputError } from "../core/errors.ts";
import type { Evaluation } from "../core/types.ts";
import { Evaluator } from "../evaluate/evaluator.ts";
import { ProcessSandbox } from "../sandbox/index.ts";
import { KyselyStore } from "../store/kysely-store.ts";
import { migrate } from "../store/migrate.ts";
import { postgresMigrations } from "../store/postgres/migrations.ts";
import { connectPostgres, redact } from "../store/postgres/index.ts";
import type { Database } from "../store/schema.ts";
import type { Task } from "../task/contract.ts";
import { loadTask } from "../task/load.ts";
import { completeJob, EVALUATE_JOB, type EvaluationPayload, expiredLeases, lease } from "./jobs.ts";
import { jobResultKey } from "./queue.ts";
import { taskHash } from "./task-hash.ts";
import { quiet } from "./worker-queue.ts";

export interface WorkerOptions {
  /** The PostgreSQL database of the runs whose jobs this worker takes. */
  url: string;
  /** Jobs evaluated at once, each in its own sandbox child. */
  concurrency: number;
  /** How long a job stays this worker's without a renewal: past it, another worker may take it. */
  leaseMs: number;
  /** One line per job started and finished, and problems. */
  log: (line: string) => void;
}

export interface Worker {
  /** Resolves when the worker has stopped: 0 when asked to, 2 when it refused a job it must not evaluate. */
  done: Promise<number>;
  stop(): Promise<void>;
}

/**
 * `adrs worker`: takes evaluation jobs of any run in the database, checks that
 * its own copy of the run's task has the run's version hash, evaluates in its
 * own sandbox, and stores the result in the transaction that completes the
 * job. Renews a lease on each job while it runs, and hands back to the queue
 * the jobs of workers whose leases ran out.
 */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const pool = await connectPostgres(options.url, options.concurrency + 3);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrate(db as Kysely<unknown>, postgresMigrations, redact(options.url));
  const sandbox = new ProcessSandbox({ log: options.log });
  const tasks = new Map<string, Promise<{ task: Task; hash: string }>>();
  const evaluators = new Map<string, Evaluator>();
  let refusal: InputError | null = null;
  let runner: Runner | null = null;

  const localTask = (ref: string) => {
    let pending = tasks.get(ref);
    if (!pending) {
      pending = loadTask(ref).then((task) => ({ task, hash: taskHash(task) }));
      tasks.set(ref, pending);
    }
    return pending;
  };

  const evaluatorFor = (p: EvaluationPayload, task: Task) => {
    const id = JSON.stringify([p.runId, p.task, p.limits]);
    let evaluator = evaluators.get(id);
    if (!evaluator) {
      // The run's evaluation cache, shared by every worker: identical code is evaluated once per run.
      const store = new KyselyStore(db, { runId: p.runId, clock: Date.now, seqs: "counter" });
      const cache = {
        get: (key: string) => store.evaluation(key),
        set: (key: string, e: Evaluation) => store.saveEvaluation(key, e),
      };
      evaluator = new Evaluator(task, sandbox, { ...p.limits, cache });
      evaluators.set(id, evaluator);
    }
    return evaluator;
  };

  const evaluate: JobHandler = async (raw, helpers) => {
    const p = raw as EvaluationPayload;
    const job = helpers.job;
    const lockedBy = job.locked_by ?? "";
    await lease(pool, job.id, lockedBy, options.leaseMs);
    const renew = setInterval(
      () => lease(pool, job.id, lockedBy, options.leaseMs).catch(() => {}),
      options.leaseMs / 3,
    );
    try {
      const { task, hash } = await localTask(p.task);
      if (task.models) {
        // The engine refuses such a run (refuseTaskModels, src/engine/task-models.ts); a job of one is refused here all the same.
        refusal ??= new InputError(
          `run ${p.runId} evaluates task ${task.id}, which declares models: its evaluations need the run's models, ledger and budget, which workers do not have; run it with queue: in-process`,
        );
        void runner?.stop();
        throw refusal;
      }
      if (hash !== p.taskHash) {
        refusal ??= new InputError(
          `run ${p.runId} evaluates task ${task.id} with version hash ${p.taskHash}, but this machine's copy has ${hash}: check out the run's version of the repository here, then start the worker again`,
        );
        void runner?.stop();
        throw refusal;
      }
      options.log(`evaluating ${p.runId} ${p.key}`);
      const stored = await new KyselyStore(db, {
        runId: p.runId,
        clock: Date.now,
        seqs: "counter",
      }).evaluation(jobResultKey(p.key));
      const evaluation =
        stored ??
        (await evaluatorFor(p, task).evaluate(p.code, p.split, p.workloads, p.fresh ? { fresh: true } : {}));
      await completeJob(pool, job.id, p, evaluation);
      options.log(`evaluated ${p.runId} ${p.key}: ${evaluation.status} ${evaluation.score.toFixed(2)}`);
    } finally {
      clearInterval(renew);
    }
  };

  const utils = await makeWorkerUtils({ pgPool: pool, logger: quiet });
  runner = await run({
    pgPool: pool,
    concurrency: options.concurrency,
    taskList: { [EVALUATE_JOB]: evaluate },
    noHandleSignals: true,
    logger: quiet,
    pollInterval: 1000,
  });
  const reaper = setInterval(async () => {
    try {
      const dead = await expiredLeases(pool);
      if (dead.length === 0) return;
      await utils.forceUnlockWorkers(dead);
      options.log(`took back the jobs of ${dead.length} worker(s) whose lease ran out`);
    } catch (e) {
      options.log(`lease check failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }, options.leaseMs / 2);

  const started = runner;
  const done = started.promise
    .catch(() => {})
    .then(async () => {
      clearInterval(reaper);
      await utils.release();
      await sandbox.close();
      await db.destroy();
      if (refusal) {
        options.log(refusal.message);
        return 2;
      }
      return 0;
    });
  return { done, stop: () => started.stop() };
}
