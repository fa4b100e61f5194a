/**
 * Evaluation on workers (`--queue workers`, `adrs worker`) against the local
 * PostgreSQL, every process separate and on loopback: a run with two workers,
 * a worker killed mid-job, the engine killed while workers run, and a worker
 * whose copy of the task differs. Each test has a database of its own.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { after, test } from "node:test";
import { openPostgresStore } from "../src/store/postgres/index.ts";
import { freshDatabase } from "./support/postgres.ts";
import { tempDir } from "./support/run-helpers.ts";

const cli = join(import.meta.dirname, "..", "bin", "adrs.js");
const slowTask = join(import.meta.dirname, "fixtures", "queue", "slow-task");
const sumTask = join(import.meta.dirname, "fixtures", "sum-task");
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill("SIGKILL");
});

interface Proc {
  child: ChildProcess;
  out: () => string;
  exit: Promise<{ code: number | null; signal: string | null }>;
  /** Resolves once the output matches. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
}

function adrs(args: string[]): Proc {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const onData = (d: Buffer) => {
    out += d;
    for (const w of [...waiters]) {
      const m = out.match(w.pattern);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on("close", (code, signal) => {
      children.delete(child);
      for (const w of waiters) w.resolve(["(exited)"] as unknown as RegExpMatchArray);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    out: () => out,
    exit,
    waitFor: (pattern) => {
      const m = out.match(pattern);
      return m ? Promise.resolve(m) : new Promise((resolve) => waiters.push({ pattern, resolve }));
    },
  };
}

/** A guard, not a measure: a test that waits this long for processes is stuck, and fails instead of holding CI. */
const HANG_MS = 10 * 60_000;

/**
 * Live workers renew their leases; 20 s leaves room for a renewal that a
 * heavily loaded machine (load 40 on two cores) delays by seconds, which at
 * 5 s handed a live worker's job to another. Only the worker a test kills
 * gets a short lease, so that its heir need not wait long.
 */
const worker = (url: string, ...flags: string[]) =>
  adrs(["worker", "--store", url, "--lease", "20s", ...flags]);

/**
 * Waits until a worker starts a job matching `pattern`; fails with the run's output
 * if the run ends first (else the test would wait for a job that never comes).
 */
async function jobStarted(w: Proc, run: Proc, pattern: RegExp): Promise<RegExpMatchArray> {
  const started = w.waitFor(pattern);
  const ended = run.exit.then((e) => e);
  const first = await Promise.race([started.then((m) => ({ m })), ended.then((e) => ({ e }))]);
  if ("e" in first && !pattern.test(w.out()))
    assert.fail(
      `the run ended (code ${first.e.code}) before a worker started ${pattern}:\n${run.out()}\n${w.out()}`,
    );
  return started;
}

/** How often each job key was started across workers' logs. */
function starts(run: string, ...logs: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const log of logs) {
    for (const m of log.matchAll(new RegExp(`evaluating ${run} (\\S+)`, "g"))) {
      counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
    }
  }
  return counts;
}

/** Every proposed candidate with code was evaluated exactly once, and its job's result stored once. */
async function everyCandidateOnce(url: string, runId: string): Promise<string[]> {
  const store = await openPostgresStore(url, { runId });
  try {
    const events = await store.events();
    const proposed = events.flatMap((e) =>
      e.type === "candidate_proposed" && e.code !== null ? [e.candidateId] : [],
    );
    const finished = events.flatMap((e) => (e.type === "evaluation_finished" ? [e.candidateId] : []));
    assert.deepEqual([...finished].sort(), [...proposed].sort(), "each candidate evaluated once, none lost");
    for (const id of proposed)
      assert.ok(await store.evaluation(`job:${id}/train`), `${id}'s job result is stored`);
    assert.equal((await store.summary()).state, "stopped");
    return proposed;
  } finally {
    await store.close();
  }
}

test("a run evaluated by two worker processes: every candidate once, the same programs as in process", {
  timeout: HANG_MS,
}, async () => {
  const db = await freshDatabase("two-workers");
  try {
    const [w1, w2] = [worker(db.url), worker(db.url)];
    const run = "sum-two";
    const dir = join(tempDir("dist"), run);
    const engine = adrs([
      "run",
      sumTask,
      "--store",
      db.url,
      "--queue",
      "workers",
      "--iterations",
      "4",
      "-o",
      dir,
    ]);
    assert.equal((await engine.exit).code, 0, engine.out());
    const ids = await everyCandidateOnce(db.url, run);
    const counts = starts(run, w1.out(), w2.out());
    for (const id of ids)
      assert.equal(counts.get(`${id}/train`), 1, `${id} was evaluated by one worker, once`);
    // The same run in process gives the same best program and score.
    const local = adrs(["run", sumTask, "--iterations", "4", "-o", join(tempDir("dist"), "local")]);
    assert.equal((await local.exit).code, 0, local.out());
    const best = (o: string) => o.match(/best (c\d+): score ([\d.]+)/)?.slice(1);
    const distributed = engine.out();
    assert.deepEqual(best(distributed), best(local.out()));
    w1.child.kill("SIGTERM");
    w2.child.kill("SIGTERM");
    assert.deepEqual(
      (await Promise.all([w1.exit, w2.exit])).map((e) => e.code),
      [0, 0],
    );
  } finally {
    await db.drop();
  }
});

/**
 * A worker leaves (`leave`) in the middle of the seed's job: another worker takes the job once
 * its lease runs out, and nothing is lost or evaluated twice.
 */
async function leftMidJob(name: string, leave: (w: Proc) => Promise<void>): Promise<void> {
  const db = await freshDatabase(name);
  try {
    const run = `slow-${name}`;
    const dir = join(tempDir("dist"), run);
    const leaving = worker(db.url, "--lease", "2s");
    const engine = adrs([
      "run",
      slowTask,
      "--store",
      db.url,
      "--queue",
      "workers",
      "--iterations",
      "1",
      "-o",
      dir,
    ]);
    await jobStarted(leaving, engine, new RegExp(`evaluating ${run} c000000/train`));
    await leave(leaving);
    const heir = worker(db.url);
    await heir.waitFor(/took back the jobs of 1 worker/);
    assert.equal((await engine.exit).code, 0, engine.out());
    await everyCandidateOnce(db.url, run);
    assert.equal(starts(run, heir.out()).get("c000000/train"), 1, "the heir evaluated the job left behind");
    assert.doesNotMatch(leaving.out(), new RegExp(`evaluated ${run} c000000/train`));
    heir.child.kill("SIGTERM");
    assert.equal((await heir.exit).code, 0);
  } finally {
    await db.drop();
  }
}

test("a worker killed mid-job: another takes the job once its lease runs out; nothing lost, nothing twice", {
  timeout: HANG_MS,
}, async () => {
  await leftMidJob("kill-worker", async (w) => {
    w.child.kill("SIGKILL");
    assert.equal((await w.exit).signal, "SIGKILL");
  });
});

test("a worker stopped twice exits at once mid-job; its job goes to another worker by the lease", {
  timeout: HANG_MS,
}, async () => {
  await leftMidJob("stop-twice", async (w) => {
    w.child.kill("SIGTERM");
    await w.waitFor(/stopping once the jobs in hand are done/);
    w.child.kill("SIGTERM");
    assert.equal((await w.exit).code, 130, w.out());
    assert.match(w.out(), /stopped at once/);
  });
});

test("the engine killed while workers run: resume takes the results done meanwhile and queues none of them again", {
  timeout: HANG_MS,
}, async () => {
  const db = await freshDatabase("kill-engine");
  try {
    const run = "slow-kill-engine";
    const dir = join(tempDir("dist"), run);
    const w = worker(db.url, "--concurrency", "2");
    const args = ["--store", db.url];
    const engine = adrs(["run", slowTask, ...args, "--queue", "workers", "--iterations", "3", "-o", dir]);
    // A child's job is under way: the engine dies waiting for it.
    const [, key] = await jobStarted(w, engine, new RegExp(`evaluating ${run} (c00000[1-3]/train)`));
    engine.child.kill("SIGKILL");
    assert.equal((await engine.exit).signal, "SIGKILL");
    await w.waitFor(new RegExp(`evaluated ${run} ${key!.replace("/", "\\/")}`));
    const resumed = adrs(["resume", dir, ...args]);
    assert.equal((await resumed.exit).code, 0, resumed.out());
    await everyCandidateOnce(db.url, run);
    for (const [k, n] of starts(run, w.out())) assert.equal(n, 1, `${k} evaluated once`);
    w.child.kill("SIGTERM");
    assert.equal((await w.exit).code, 0);
  } finally {
    await db.drop();
  }
});

test("a worker whose copy of the task differs from the run's refuses its jobs and exits 2", {
  timeout: HANG_MS,
}, async () => {
  const db = await freshDatabase("refuse");
  const { WorkerQueue } = await import("../src/queue/worker-queue.ts");
  const { connectPostgres } = await import("../src/store/postgres/index.ts");
  const store = await openPostgresStore(db.url, { runId: "refused" });
  const queue = await WorkerQueue.open({
    pool: await connectPostgres(db.url),
    store,
    runId: "refused",
    task: sumTask,
    // The run was started from another version of the task than this repository's.
    taskHash: "0123456789abcdef",
    limits: {},
    workloadIds: async () => [],
  });
  try {
    void queue.evaluate("export function solve() { return { sum: 0 }; }", "train", undefined, {
      key: "c000000/train",
    });
    const w = worker(db.url);
    const { code } = await w.exit;
    assert.equal(code, 2, w.out());
    assert.match(w.out(), /version hash 0123456789abcdef, but this machine's copy has [0-9a-f]{16}/);
    assert.equal(await store.evaluation("job:c000000/train"), undefined, "nothing was evaluated");
  } finally {
    await queue.close();
    await store.close();
    await db.drop();
  }
});
