/**
 * The behaviour every Store must have, run against each implementation (in
 * memory, SQLite, PostgreSQL), and their answers compared with each other,
 * times included: each store is handed the same fake clock. PostgreSQL is the
 * local server (test/support/postgres.ts), in a database of this file's own:
 * the shared `test` database may hold the schema of another checkout (a
 * branch with a migration this one lacks), which this one must refuse to
 * open. Each test is a run of its own in it.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { RunEvent } from "../src/core/events.ts";
import type { Evaluation, Program } from "../src/core/types.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { openPostgresStore } from "../src/store/postgres/index.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import type { RunSummary, Store } from "../src/store/store.ts";
import { freshDatabase, testRunId } from "./support/postgres.ts";

const usage = { inputTokens: 10, outputTokens: 5, costUsd: 0.01 };
const evaluation = (score: number, status: Evaluation["status"] = "ok"): Evaluation => ({
  status,
  score,
  metrics: { makespan: 500 - score },
  workloads: [],
  stages: [],
  feedback: status === "ok" ? "fine" : "it threw",
  error: status === "ok" ? undefined : "TypeError: x is undefined",
  durationMs: 3,
});
const program = (id: string, iteration: number, score: number, parentId: string | null): Program => ({
  id,
  parentId,
  code: `// ${id}`,
  score,
  metrics: {},
  feedback: "",
  tag: "",
  generation: iteration,
  iteration,
  diff: "",
  model: "m",
  createdAt: 0,
});
const proposed = (id: string, iteration: number, parentId: string | null, code: string | null): RunEvent => ({
  type: "candidate_proposed",
  candidateId: id,
  iteration,
  parentId,
  tag: "",
  code,
  diff: "",
  prompt: "p",
  model: parentId ? "openai:mock" : "initial",
  reply: "r",
  usage: parentId ? usage : { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  rng: [1, 2, 3, iteration],
});

const called = (id: string, iteration: number, role: string, outcome = "ok"): RunEvent => ({
  type: "model_called",
  candidateId: id,
  iteration,
  role,
  model: "openai:mock",
  messages: [{ role: "user", content: `prompt of ${id} (${role})` }],
  reply: outcome === "ok" ? "r" : null,
  finishReason: outcome === "ok" ? "stop" : null,
  usage: { inputTokens: 5, outputTokens: role === "repair" ? 1 : 5, costUsd: 0.005 },
  outcome,
  ...(outcome === "ok" ? {} : { error: "openai:mock: 500" }),
  attempt: 1,
  durationMs: 12,
});

/** Every query's answer. */
async function answers(store: Store) {
  return {
    events: await store.events(),
    programs: await store.programs(),
    history: await store.history(),
    program: await store.program("c3"),
    best: await store.best(),
    pending: await store.pendingCandidates(),
    failures: await store.recentFailures("c0", 10),
    config: await store.startConfig(),
    rng: await store.lastRngState(),
    usage: await store.totalUsage(),
    ledger: await store.ledger(),
    calls: await store.modelCalls(),
    outcomes: await store.outcomes(),
    summary: await store.summary(),
    activeSeconds: await store.activeSeconds(),
    evaluations: [await store.evaluation("job:c3:train"), await store.evaluation("none")],
  };
}

/** A fake clock: each reading is a second after the last, from the same start for every store. */
function fakeClock(): () => number {
  let now = 1_700_000_000_000;
  return () => (now += 1000);
}

const stores: Record<string, () => Promise<Store>> = {
  memory: async () => new MemoryStore(fakeClock()),
  sqlite: async () =>
    openSqliteStore(join(mkdtempSync(join(tmpdir(), "adrs-store-")), "run.db"), { clock: fakeClock() }),
  postgres: async () => {
    database ??= freshDatabase("contract");
    return openPostgresStore((await database).url, { runId: testRunId("contract"), clock: fakeClock() });
  },
};
let database: ReturnType<typeof freshDatabase> | undefined;
after(async () => (await database)?.drop());

async function projections(store: Store): Promise<unknown> {
  await store.append([
    { type: "run_started", taskId: "t", taskVersion: "1", config: { task: "t" }, seed: 1 },
    proposed("c0", 0, null, "seed"),
  ]);
  assert.deepEqual(
    (await store.pendingCandidates()).map((c) => c.id),
    ["c0"],
  );
  await store.append([
    { type: "evaluation_finished", candidateId: "c0", evaluation: evaluation(10) },
    // A noisy task's seed, evaluated three more times: its noise floor.
    {
      type: "program_inserted",
      program: {
        ...program("c0", 0, 10, null),
        noise: { samples: [9, 10, 11], median: 10, spread: 1, won: true },
      },
    },
  ]);
  await store.append([
    proposed("c1", 1, "c0", null),
    called("c1", 1, "mutation"),
    called("c1", 1, "repair", "server"),
    { type: "edit_rejected", candidateId: "c1", reason: "SEARCH block 1 not found" },
  ]);
  // c2's call was refused once (429) and tried again: two attempts, two entries, one call.
  const refused = called("c2", 2, "mutation", "rate_limit");
  await store.append([
    proposed("c2", 2, "c0", "bad"),
    { ...refused, messages: [], retried: true } as RunEvent,
    { ...called("c2", 2, "mutation"), attempt: 2 } as RunEvent,
  ]);
  await store.append([
    { type: "evaluation_finished", candidateId: "c2", evaluation: evaluation(0, "error") },
  ]);
  // c3's call as a version before attempts were entries stored it: a whole call that counted its attempts.
  const { attempt: _, ...current } = called("c3", 3, "mutation") as RunEvent & { type: "model_called" };
  await store.append([proposed("c3", 3, "c0", "good"), { ...current, attempts: 3 } as unknown as RunEvent]);
  assert.deepEqual(
    (await store.pendingCandidates()).map((c) => c.id),
    ["c3"],
  );
  await store.append([
    { type: "evaluation_finished", candidateId: "c3", evaluation: evaluation(40) },
    {
      type: "program_inserted",
      program: {
        ...program("c3", 3, 40, "c0"),
        // A would-be best's round against the seed, won: score ± spread.
        noise: {
          samples: [39, 40, 41.5],
          median: 40,
          spread: 1.25,
          incumbent: { id: "c0", score: 10, samples: [10, 10.5, 11], median: 10.5, spread: 0.5 },
          won: true,
        },
      },
    },
    { type: "test_evaluated", programId: "c3", evaluation: evaluation(35) },
  ]);

  assert.deepEqual(
    (await store.programs()).map((p) => p.id),
    ["c0", "c3"],
  );
  const failures = await store.recentFailures("c0", 5);
  assert.deepEqual(
    failures.map((f) => [f.candidateId, f.reason]),
    [
      ["c2", "TypeError: x is undefined"],
      ["c1", "SEARCH block 1 not found"],
    ],
  );
  const best = await store.best();
  assert.equal(best?.program.id, "c3");
  assert.equal(best?.test?.score, 35);
  assert.deepEqual(await store.lastRngState(), [1, 2, 3, 3]);
  const summary = await store.summary();
  assert.equal(summary.state, "running");
  assert.equal(summary.iterations, 3);
  assert.equal(summary.evaluations, 3);
  assert.equal(summary.rejectedEdits, 1);
  assert.equal(summary.failedEvaluations, 1);
  assert.deepEqual(summary.best, { id: "c3", score: 40, testScore: 35, spread: 1.25 });
  assert.deepEqual(summary.noise, {
    floor: { median: 10, spread: 1, samples: 3 },
    rounds: 1,
    won: 1,
    reevaluations: 9,
  });
  assert.equal(best?.program.noise?.incumbent?.id, "c0");
  // The ledger: every model call, by model and by role, failures counted.
  assert.equal(summary.spend.length, 1);
  assert.deepEqual(summary.spend[0], {
    model: "openai:mock",
    calls: 4,
    attempts: 5,
    inputTokens: 25,
    outputTokens: 21,
    costUsd: summary.spend[0]?.costUsd,
    failed: 2,
    empty: 0,
    truncated: 0,
    unknown: 0,
  });
  assert.ok(Math.abs(summary.costUsd - 0.025) < 1e-9);
  assert.deepEqual(
    summary.spendByRole.map((r) => [r.role, r.calls, r.attempts, r.outputTokens]),
    [
      ["mutation", 3, 4, 20],
      ["repair", 1, 1, 1],
    ],
  );
  assert.ok(Math.abs((await store.totalUsage()).costUsd - 0.025) < 1e-9);
  assert.deepEqual(
    (await store.ledger()).map((e) => [e.candidateId, e.role, e.outcome, e.retried ?? false]),
    [
      ["c1", "mutation", "ok", false],
      ["c1", "repair", "server", false],
      ["c2", "mutation", "rate_limit", true],
      ["c2", "mutation", "ok", false],
      ["c3", "mutation", "ok", false],
    ],
  );
  // The recording keeps each call's exact messages and reply; an old entry reads as today's.
  const calls = await store.modelCalls();
  assert.equal(calls.length, 5);
  assert.deepEqual(
    calls.map((c) => c.attempt),
    [1, 1, 1, 2, 3],
  );
  assert.equal("attempts" in calls[4]!, false);
  assert.deepEqual(calls[1]?.messages, [{ role: "user", content: "prompt of c1 (repair)" }]);
  assert.equal(calls[0]?.reply, "r");
  assert.equal(calls[1]?.reply, null);
  // Settled proposals and what each gained over its parent.
  assert.deepEqual(
    (await store.outcomes()).map((o) => [o.candidateId, o.model, o.gain]),
    [
      ["c1", "openai:mock", 0],
      ["c2", "openai:mock", 0],
      ["c3", "openai:mock", 30],
    ],
  );
  await store.append([{ type: "run_stopped", reason: "iterations" }]);
  assert.equal((await store.summary()).state, "stopped");
  // Job results and the evaluation cache: stored once, the first stays.
  await store.saveEvaluation("job:c3:train", evaluation(40));
  await store.saveEvaluation("job:c3:train", evaluation(1));
  assert.equal((await store.evaluation("job:c3:train"))?.score, 40);
  assert.equal(await store.evaluation("none"), undefined);
  return answers(store);
}

/** A strategy's history: settled candidates of every kind and its events, in stored order. */
async function history(store: Store) {
  await store.append([proposed("c0", 0, null, "seed")]);
  await store.append([
    { type: "evaluation_finished", candidateId: "c0", evaluation: evaluation(10) },
    { type: "program_inserted", program: program("c0", 0, 10, null) },
    { type: "strategy_event", strategy: "s", kind: "learnt", data: { id: "c0" } },
  ]);
  await store.append([
    { ...(proposed("c1", 1, "c0", "x") as RunEvent & { type: "candidate_proposed" }), tag: "front" },
    { type: "strategy_event", strategy: "s", kind: "chose", data: { pair: ["c0", "c0"] } },
  ]);
  await store.append([
    proposed("c2", 2, "c0", null),
    { type: "edit_rejected", candidateId: "c2", reason: "no edit" },
  ]);
  await store.append([
    { type: "strategy_event", strategy: "s", kind: "gate", data: { passed: false } },
    { type: "candidate_screened", candidateId: "c1", reason: "worse on w1" },
  ]);
  // A sum of float dollars: read back exactly, pending or settled (a strategy's bandit must see the same on resume).
  const dollars = 0.1 + 0.2;
  await store.append([
    {
      ...(proposed("c3", 3, "c0", "bad") as RunEvent & { type: "candidate_proposed" }),
      usage: { ...usage, costUsd: dollars },
    },
  ]);
  assert.deepEqual(
    (await store.pendingCandidates()).map((c) => [c.id, c.costUsd]),
    [["c3", dollars]],
  );
  await store.append([
    { type: "evaluation_finished", candidateId: "c3", evaluation: evaluation(0, "error") },
  ]);
  const h = await store.history();
  assert.deepEqual(
    h.map((e) => ("settled" in e ? [e.settled.status, e.settled.candidate.id] : [e.strategyEvent.kind])),
    [["ok", "c0"], ["learnt"], ["chose"], ["rejected", "c2"], ["gate"], ["screened", "c1"], ["failed", "c3"]],
  );
  assert.deepEqual(
    h.flatMap((e) => ("settled" in e ? [e.settled.candidate.costUsd] : [])),
    [0, 0.01, 0.01, dollars],
  );
  const screened = h[5];
  assert.ok(screened && "settled" in screened && screened.settled.status === "screened", "c1 was screened");
  assert.equal(screened.settled.candidate.tag, "front");
  assert.equal(screened.settled.reason, "worse on w1");
  assert.equal(screened.settled.candidate.code, "x");
  const summary = await store.summary();
  assert.equal(summary.screened, 1);
  assert.equal(summary.rejectedEdits, 1);
  assert.deepEqual(
    (await store.recentFailures("c0", 5)).map((f) => [f.candidateId, f.reason]),
    [
      ["c3", "TypeError: x is undefined"],
      ["c2", "no edit"],
      ["c1", "worse on w1"],
    ],
  );
  return answers(store);
}

async function atomicity(store: Store): Promise<void> {
  await store.append([proposed("c0", 0, null, "seed")]);
  // The second candidate_proposed reuses c0's id: the primary key fails, so the whole batch must roll back.
  await assert.rejects(store.append([proposed("c1", 1, "c0", "x"), proposed("c0", 2, "c0", "y")]));
  const events = await store.events();
  assert.equal(events.length, 1);
  assert.deepEqual(
    (await store.pendingCandidates()).map((c) => c.id),
    ["c0"],
  );
}

describe("every store", () => {
  for (const [name, open] of Object.entries(stores)) {
    test(`${name}: projections follow the events`, async () => {
      const store = await open();
      await projections(store);
      await store.close();
    });
    test(`${name}: history holds every settled candidate and the strategy's events in stored order`, async () => {
      const store = await open();
      await history(store);
      await store.close();
    });
    test(`${name}: events of the given types only, after a seq (the engine's read of steering)`, async () => {
      const store = await open();
      await store.append([proposed("c0", 0, null, "seed"), { type: "hint_added", hintId: "h1", text: "t" }]);
      await store.append([
        { type: "run_paused" },
        proposed("c1", 1, "c0", "x"),
        { type: "hint_withdrawn", hintId: "h1" },
      ]);
      const steering = ["run_paused", "hint_added", "hint_withdrawn"] as const;
      const all = await store.events(0, 100, steering);
      assert.deepEqual(
        all.map((e) => [e.type, e.seq]),
        [
          ["hint_added", 2],
          ["run_paused", 3],
          ["hint_withdrawn", 5],
        ],
      );
      assert.deepEqual(
        (await store.events(3, 100, steering)).map((e) => e.type),
        ["hint_withdrawn"],
      );
      assert.deepEqual(await store.events(0, 100, []), []);
      assert.equal((await store.events(0, 1, steering)).length, 1);
      await store.close();
    });
    test(`${name}: a summary is one snapshot, never torn by appends running beside it`, async () => {
      const store = await open();
      // Each batch adds one evaluated candidate, its program and its model call: every consistent
      // snapshot has as many of each. A summary reading outside one transaction sees some of a batch.
      const batches: Promise<void>[] = [];
      const summaries: Promise<RunSummary>[] = [];
      for (let i = 0; i < 30; i++) {
        const id = `c${i}`;
        batches.push(
          store.append([
            proposed(id, i, null, "x"),
            called(id, i, "mutation"),
            { type: "evaluation_finished", candidateId: id, evaluation: evaluation(i) },
            { type: "program_inserted", program: program(id, i, i, null) },
          ]),
        );
        summaries.push(store.summary());
      }
      await Promise.all(batches);
      for (const s of await Promise.all(summaries)) {
        const calls = s.spend[0]?.calls ?? 0;
        assert.deepEqual([s.evaluations, s.programs, calls], [s.programs, s.programs, s.programs]);
      }
      assert.equal((await store.summary()).programs, 30);
      await store.close();
    });
    test(`${name}: an append is one transaction; a failing event leaves nothing of its batch`, async () => {
      const store = await open();
      await atomicity(store);
      await store.close();
    });
  }

  test("every store answers every query exactly as the in-memory store does, times included", async () => {
    for (const scenario of [projections, history]) {
      const memory = await stores.memory!();
      const expected = await scenario(memory);
      await memory.close();
      for (const name of ["sqlite", "postgres"]) {
        const store = await stores[name]!();
        assert.deepEqual(await scenario(store), expected, name);
        await store.close();
      }
    }
  });
});
