/**
 * Evaluations per second through the in-process queue and through one and
 * two `adrs worker` processes (graphile-worker on the local PostgreSQL), for a
 * fast task (prism) and a slow one (cant-be-late); and the queue's own cost
 * per job: a tiny job (the sum-task fixture) through one worker against the
 * same job in process, one at a time. Every job is distinct code (a comment
 * varies), so no cache answers; each figure has a database of its own.
 * Workers run on this machine: with two cores, two workers share them with
 * the bench itself.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import type { Bench, BenchResult } from "./run.ts";
import { timed } from "./measure.ts";
import { Evaluator } from "../src/evaluate/evaluator.ts";
import { InProcessQueue } from "../src/queue/in-process.ts";
import type { JobQueue } from "../src/queue/queue.ts";
import { taskHash } from "../src/queue/task-hash.ts";
import { WorkerQueue } from "../src/queue/worker-queue.ts";
import { ProcessSandbox } from "../src/sandbox/index.ts";
import { connectPostgres, openPostgresStore } from "../src/store/postgres/index.ts";
import type { Task } from "../src/task/contract.ts";
import { loadTask } from "../src/task/load.ts";
import { freshDatabase } from "../test/support/postgres.ts";

const cli = join(import.meta.dirname, "..", "bin", "adrs.js");
const sumTask = join(import.meta.dirname, "..", "test", "fixtures", "sum-task");

/** `n` distinct programs that do the seed's work. */
const programs = (task: Task, n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `${task.initialCode}\n// ${tag} ${i}\n`);

/** Evaluates every program, `inFlight` at a time; milliseconds taken. */
async function drain(queue: JobQueue, codes: string[], inFlight: number): Promise<number> {
  const pending = [...codes.entries()];
  return timed(() =>
    Promise.all(
      Array.from({ length: inFlight }, async () => {
        for (let next = pending.shift(); next; next = pending.shift()) {
          const e = await queue.evaluate(next[1], "train", undefined, { key: `c${next[0]}/train` });
          if (e.status !== "ok") throw new Error(`bench job failed: ${e.error ?? e.status}`);
        }
      }),
    ),
  );
}

async function inProcess(task: Task, codes: string[], inFlight: number): Promise<number> {
  // The sandbox a worker makes (one slot and one warm child per core), so only the queue differs.
  const sandbox = new ProcessSandbox({ log: () => {} });
  try {
    const queue = new InProcessQueue(new Evaluator(task, sandbox, { cacheSize: 0 }));
    // As for the workers: the sandbox probed, the task's data loaded and the pool warm before the clock starts.
    await drain(queue, programs(task, inFlight, "warm"), inFlight);
    return await drain(queue, codes, inFlight);
  } finally {
    await sandbox.close();
  }
}

/** The same jobs through `workers` worker processes, after each has started. */
async function onWorkers(task: Task, ref: string, codes: string[], workers: number, inFlight: number) {
  const db = await freshDatabase("bench");
  const procs: ChildProcess[] = [];
  const store = await openPostgresStore(db.url, { runId: "bench" });
  const queue = await WorkerQueue.open({
    pool: await connectPostgres(db.url),
    store,
    runId: "bench",
    task: ref,
    taskHash: taskHash(task),
    limits: {},
    workloadIds: async () => [],
    pollMs: 500,
  });
  try {
    for (let i = 0; i < workers; i++) {
      const p = spawn(process.execPath, [cli, "worker", "--store", db.url], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      procs.push(p);
      await new Promise<void>((ready) => {
        let err = "";
        p.stderr?.on("data", (d) => {
          err += d;
          if (err.includes("taking evaluation jobs")) ready();
        });
      });
    }
    // One job per worker first, so each has its sandbox probed and its task loaded before the clock starts.
    await drain(queue, programs(task, workers, "warm"), workers);
    return await drain(queue, codes, inFlight);
  } finally {
    for (const p of procs) p.kill("SIGTERM");
    await Promise.all(procs.map((p) => new Promise((done) => p.on("close", done))));
    await queue.close();
    await store.close();
    await db.drop();
  }
}

const bench: Bench = async () => {
  const rows: BenchResult[] = [];
  for (const [ref, n] of [
    ["prism", 8],
    ["cant-be-late", 6],
  ] as const) {
    const task = await loadTask(ref);
    const codes = programs(task, n, "bench");
    // Two in flight everywhere: what the engine keeps by default (concurrency.evaluations).
    const local = await inProcess(task, codes, 2);
    rows.push({ name: `queue: ${ref}, in process`, value: (n * 1000) / local, unit: "evaluations/s" });
    for (const workers of [1, 2]) {
      const ms = await onWorkers(task, ref, codes, workers, 2);
      rows.push({
        name: `queue: ${ref}, ${workers} worker${workers > 1 ? "s" : ""}`,
        value: (n * 1000) / ms,
        unit: "evaluations/s",
        note: `${(local / ms).toFixed(2)}× in process`,
      });
    }
  }
  // The queue's own cost: a job of a few milliseconds, one at a time, through a worker and in process.
  const tiny = await loadTask(sumTask);
  const n = 20;
  const local = await inProcess(tiny, programs(tiny, n, "overhead"), 1);
  const remote = await onWorkers(tiny, sumTask, programs(tiny, n, "overhead"), 1, 1);
  rows.push({
    name: "queue: overhead per job (worker − in process)",
    value: (remote - local) / n,
    unit: "ms",
    note: `sum-task, ${n} jobs one at a time: ${(local / n).toFixed(0)} ms in process`,
  });
  return rows;
};

export default bench;
