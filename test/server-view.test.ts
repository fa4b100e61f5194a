import assert from "node:assert/strict";
import { test } from "node:test";
import type { RunEvent, StoredEvent } from "../src/core/events.ts";
import { candidateId } from "../src/core/ids.ts";
import type { Program } from "../src/core/types.ts";
import { RunView } from "../src/server/run-view.ts";
import { evaluationOf } from "./support/synthetic-run.ts";

/** Stores events in memory the way a store numbers them. */
function log(events: RunEvent[], firstSeq = 1, at = 1000): StoredEvent[] {
  return events.map((e, i) => ({ ...e, seq: firstSeq + i, at: at + i }));
}

const usage = (costUsd: number) => ({ inputTokens: 100, outputTokens: 10, costUsd });

function proposed(iteration: number, parent: number | null, costUsd = 0): RunEvent {
  return {
    type: "candidate_proposed",
    candidateId: candidateId(iteration),
    iteration,
    parentId: parent === null ? null : candidateId(parent),
    tag: "0",
    code: "code",
    diff: "",
    prompt: "",
    model: "openai:m",
    reply: "",
    usage: usage(costUsd),
    rng: [1, 2, 3, 4],
  };
}

function called(iteration: number, costUsd: number, role = "mutation"): RunEvent {
  return {
    type: "model_called",
    candidateId: candidateId(iteration),
    iteration,
    role,
    model: "openai:m",
    messages: [],
    reply: "r",
    finishReason: "stop",
    usage: usage(costUsd),
    outcome: "ok",
    attempt: 1,
    durationMs: 5,
  };
}

function inserted(iteration: number, score: number): RunEvent {
  const program: Program = {
    id: candidateId(iteration),
    parentId: iteration === 0 ? null : candidateId(0),
    code: "code",
    score,
    metrics: {},
    feedback: "",
    tag: "0",
    generation: iteration === 0 ? 0 : 1,
    iteration,
    diff: "",
    model: "openai:m",
    createdAt: 0,
  };
  return { type: "program_inserted", program };
}

test("a candidate's dollars are its model calls (mutation and repair), not its proposal's usage counted again", () => {
  const view = new RunView();
  for (const e of log([
    proposed(0, null),
    proposed(1, 0, 0.5),
    called(1, 0.3),
    called(1, 0.2, "repair"),
    proposed(2, 0, 0.25),
  ])) {
    view.apply(e);
  }
  assert.equal(view.candidates.get(candidateId(1))?.costUsd, 0.5);
  // A run stored before the ledger existed: the proposal's own usage is all there is.
  assert.equal(view.candidates.get(candidateId(2))?.costUsd, 0.25);
  assert.deepEqual(view.seqs.get(candidateId(1))?.calls, [3, 4]);
});

test("a delta holds the rows and calls changed after the seq the page has, and nothing else", () => {
  const view = new RunView();
  const first = log([
    { type: "run_started", taskId: "t", taskVersion: "1", config: {}, seed: 1 },
    proposed(0, null),
    { type: "evaluation_finished", candidateId: candidateId(0), evaluation: evaluationOf(30) },
    inserted(0, 30),
    proposed(1, 0),
    called(1, 0.1),
  ]);
  for (const e of first) view.apply(e);
  const seen = view.seq;
  for (const e of log(
    [
      { type: "evaluation_finished", candidateId: candidateId(1), evaluation: evaluationOf(0, "crash") },
      proposed(2, 0),
      called(2, 0.2),
      { type: "edit_rejected", candidateId: candidateId(2), reason: "no SEARCH block" },
    ],
    seen + 1,
  )) {
    view.apply(e);
  }
  assert.deepEqual(
    view.candidatesSince(seen).map((r) => [r.id, r.state, r.status, r.reason]),
    [
      [candidateId(1), "evaluated", "crash", "schedule is missing transaction 7"],
      [candidateId(2), "rejected", null, "no SEARCH block"],
    ],
  );
  const { from, calls } = view.callsSince(seen);
  assert.equal(from, 1);
  assert.deepEqual(
    calls.map((c) => c.usage.costUsd),
    [0.2],
  );
  assert.equal(view.candidatesSince(view.seq).length, 0);
  assert.equal(view.best()?.id, candidateId(0));
});

test("sessions follow start, stop and resume, and a test score lands on its program", () => {
  const view = new RunView();
  for (const e of log([
    { type: "run_started", taskId: "t", taskVersion: "1", config: { strategy: { kind: "gepa" } }, seed: 1 },
    proposed(0, null),
    { type: "evaluation_finished", candidateId: candidateId(0), evaluation: evaluationOf(30) },
    inserted(0, 30),
    { type: "test_evaluated", programId: candidateId(0), evaluation: evaluationOf(20) },
    { type: "run_stopped", reason: "budget_usd", detail: "spent $1 of $1" },
    { type: "run_resumed", pending: 0 },
  ])) {
    view.apply(e);
  }
  assert.deepEqual(
    view.sessionsRows().map((s) => [s.reason, s.detail, s.stoppedAt !== null]),
    [
      ["budget_usd", "spent $1 of $1", true],
      [null, null, false],
    ],
  );
  assert.equal(view.candidates.get(candidateId(0))?.testScore, 20);
  assert.equal(view.seqs.get(candidateId(0))?.test, 5);
});

test("active time: a killed session counts to its last event, not to the run's last event", () => {
  const view = new RunView();
  const at = (e: RunEvent, seq: number, seconds: number): StoredEvent => ({ ...e, seq, at: seconds * 1000 });
  const started: RunEvent = { type: "run_started", taskId: "t", taskVersion: "1", config: {}, seed: 1 };
  // Session 1 runs 10 s and is killed; an hour later session 2 runs 20 s and stops.
  view.apply(at(started, 1, 0));
  view.apply(at({ type: "heartbeat" }, 2, 10));
  view.apply(at({ type: "run_resumed", pending: 0 }, 3, 3600));
  view.apply(at({ type: "run_stopped", reason: "iterations" }, 4, 3620));
  assert.equal(view.activeSeconds(false, 9999_000), 30);
});

test("a noisy task's measured program carries its spread to the run page; one evaluated once has none", () => {
  const view = new RunView();
  const seed = inserted(0, 30);
  if (seed.type === "program_inserted")
    seed.program.noise = { samples: [29, 30, 31.5], median: 30, spread: 1.25, won: true };
  for (const e of log([
    { type: "run_started", taskId: "t", taskVersion: "1", config: {}, seed: 1 },
    proposed(0, null),
    { type: "evaluation_finished", candidateId: candidateId(0), evaluation: evaluationOf(30) },
    seed,
    proposed(1, 0),
    { type: "evaluation_finished", candidateId: candidateId(1), evaluation: evaluationOf(20) },
    inserted(1, 20),
  ])) {
    view.apply(e);
  }
  assert.equal(view.candidates.get(candidateId(0))?.spread, 1.25);
  assert.equal(view.candidates.get(candidateId(1))?.spread, null);
  assert.equal(view.best()?.spread, 1.25);
});
