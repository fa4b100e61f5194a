/**
 * The unordered pipeline, with the instant parts of test/support/instant.ts:
 * a slow reply holds up no other proposal (counted, not timed), a selection
 * sees every evaluation stored by then, and an unordered run that was
 * interrupted and resumed replays exactly from its recording, whatever the
 * timing of the replay.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RunEvent } from "../src/core/events.ts";
import { parseRunConfig, type RunConfig } from "../src/engine/config.ts";
import { Engine } from "../src/engine/engine.ts";
import { LlmProposer } from "../src/engine/llm-proposer.ts";
import { scheduleOf } from "../src/engine/sequencer.ts";
import type { Completion, CompletionRequest, LlmClient } from "../src/llm/client.ts";
import { Ensemble } from "../src/llm/ensemble.ts";
import { Recording, ReplayClient } from "../src/llm/replay.ts";
import { loadTemplates } from "../src/prompt/index.ts";
import { createStrategy, type Strategy } from "../src/search/index.ts";
import { MemoryStore } from "../src/store/memory.ts";
import type { Store } from "../src/store/store.ts";
import { InstantEvaluator, nudgeKnob, toyTask } from "./support/instant.ts";

const templates = loadTemplates();
const MODEL = "openai:instant";

function config(concurrency: Record<string, unknown>, iterations: number): RunConfig {
  return parseRunConfig(
    {
      task: "toy",
      budget: { iterations },
      concurrency,
      strategy: { kind: "islands", islands: 2, migrationInterval: 3 },
      seed: 5,
    },
    "test config",
  );
}

/** A model whose reply to each request waits for `hold(request)` first. */
function heldClient(
  hold: (request: CompletionRequest, n: number) => Promise<void> | undefined,
  reply: (request: CompletionRequest, n: number) => string = (r) => nudgeKnob(r),
): LlmClient {
  let n = 0;
  return {
    model: MODEL,
    async complete(request): Promise<Completion> {
      const k = n++;
      await hold(request, k);
      return {
        text: reply(request, k),
        model: MODEL,
        usage: { inputTokens: 100, outputTokens: 10, costUsd: 0 },
        finishReason: "stop",
      };
    },
  };
}

function proposer(client: LlmClient) {
  return new LlmProposer(new Ensemble([{ client, weight: 1 }]), templates, "diff");
}

/** Waits `turns` turns of the event loop: timing that differs between runs without any clock. */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

function engine(parts: {
  config: RunConfig;
  store?: Store;
  client: LlmClient;
  evaluator?: InstantEvaluator;
  strategy?: Strategy;
  onEvent?: (e: RunEvent, engine: Engine) => void;
  schedule?: string[] | null;
}) {
  const store = parts.store ?? new MemoryStore();
  const e: Engine = new Engine({
    config: parts.config,
    task: toyTask(),
    store,
    strategy: parts.strategy ?? createStrategy(parts.config.strategy),
    proposer: proposer(parts.client),
    queue: parts.evaluator ?? new InstantEvaluator(),
    ...(parts.onEvent ? { onEvent: (ev: RunEvent) => parts.onEvent?.(ev, e) } : {}),
    ...(parts.schedule ? { schedule: parts.schedule } : {}),
  });
  return { engine: e, store };
}

/**
 * Holds the first mutation request of c000001 until `enough` other
 * candidates have settled, or until the run can do nothing more without it
 * (the event loop has turned many times with no new event); returns how many
 * others settled while it was held.
 */
async function settledWhileOneIsHeld(concurrency: Record<string, unknown>, enough: number) {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let holding = false;
  let events = 0;
  let others = 0;
  const stored = new Set<string>();
  const seen: boolean[] = [];
  const inner = createStrategy({ kind: "hill-climb" });
  // Every selection must see every evaluation stored before it.
  const ingested = new Set<string>();
  const strategy: Strategy = {
    name: inner.name,
    select: (rng) => {
      seen.push([...stored].every((id) => ingested.has(id)));
      return inner.select(rng);
    },
    ingest: (settled) => {
      ingested.add(settled.candidate.id);
      return inner.ingest(settled);
    },
    best: () => inner.best(),
    size: () => inner.size(),
    describe: () => inner.describe(),
  };
  const quiet = async () => {
    for (let last = -1; last !== events && holding; ) {
      last = events;
      await turns(50);
    }
    release();
  };
  const client = heldClient((request) => {
    if (request.purpose?.candidateId !== "c000001" || request.purpose.role !== "mutation") return undefined;
    holding = true;
    void quiet();
    return held;
  });
  const { engine: e, store } = engine({
    config: config(concurrency, 14),
    client,
    strategy,
    onEvent: (ev) => {
      events++;
      if (ev.type !== "evaluation_finished") return;
      stored.add(ev.candidateId);
      if (!holding) return;
      if (ev.candidateId !== "c000001") others++;
      if (others >= enough) release();
    },
  });
  const running = e.run();
  await held;
  holding = false;
  assert.equal((await running).reason, "iterations");
  assert.ok(
    seen.length === 14 && seen.every(Boolean),
    "each selection saw every evaluation stored before it",
  );
  assert.equal((await store.summary()).iterations, 14);
  return others;
}

describe("the unordered pipeline", () => {
  test("a slow reply on one proposal holds up no other: the rest keep settling while it is held", async () => {
    const others = await settledWhileOneIsHeld({ proposals: 3, evaluations: 2 }, 10);
    assert.ok(others >= 10, `${others} other candidates settled while c000001's reply was held`);
  });

  test("ordered: the same slow reply stalls the window (iteration k waits for k − proposals)", async () => {
    const others = await settledWhileOneIsHeld({ proposals: 3, evaluations: 2, ordered: true }, 10);
    assert.equal(others, 2, "only c000002 and c000003 settle while c000001 is held");
  });
});

/** What a run stored, in the order it stored it, for two runs to be compared by. */
async function stored(store: Store) {
  const events = await store.events();
  return {
    commits: events.flatMap((e) => {
      if (e.type === "candidate_proposed")
        return [[e.type, e.candidateId, e.parentId, e.tag, e.code, e.rng, e.basis ?? null]];
      if (e.type === "evaluation_finished")
        return [[e.type, e.candidateId, e.evaluation.status, e.evaluation.score]];
      if (e.type === "edit_rejected" || e.type === "candidate_screened")
        return [[e.type, e.candidateId, e.reason]];
      if (e.type === "strategy_event") return [[e.type, e.kind, e.data]];
      return [];
    }),
    programs: (await store.programs()).map((p) => [p.id, p.parentId, p.tag, p.score, p.generation, p.code]),
    calls: (await store.modelCalls()).map((c) => [c.candidateId, c.role, c.messages, c.reply]),
  };
}

describe("replay of an unordered run", () => {
  test("interrupted, resumed, then replayed with other timing: the replay stores exactly what was recorded", async () => {
    const concurrency = { proposals: 3, evaluations: 2 };
    const iterations = 16;
    // Replies come back out of order, and every fifth one has no edit (a repair follows).
    const recordedReply = (request: CompletionRequest, n: number) =>
      n % 5 === 3 && request.messages.length === 2 ? "No edit from me." : nudgeKnob(request, n % 2 ? 3 : -2);
    const scrambled = () => heldClient((_r, n) => turns((n * 7) % 11), recordedReply);
    let evaluations = 0;
    const slowEvaluator = () => new InstantEvaluator({ gate: () => turns((evaluations++ * 5) % 9) });

    const store = new MemoryStore();
    const first = engine({
      config: config(concurrency, iterations),
      store,
      client: scrambled(),
      evaluator: slowEvaluator(),
      onEvent: (ev, en) => {
        if (ev.type === "evaluation_finished" && ev.candidateId === "c000006") en.stop("interrupted");
      },
    });
    assert.equal((await first.engine.run()).reason, "interrupted");
    const stoppedAt = (await store.summary()).iterations;
    assert.ok(stoppedAt < iterations, "the first session stopped early");
    const resumed = engine({
      config: config(concurrency, iterations),
      store,
      client: scrambled(),
      evaluator: slowEvaluator(),
    });
    assert.equal((await resumed.engine.run()).reason, "iterations");

    const recorded = await stored(store);
    const proposed = recorded.commits.filter((c) => c[0] === "candidate_proposed").map((c) => c[1]);
    assert.equal(
      new Set(proposed).size,
      iterations + 1,
      "every iteration proposed once, none lost on resume",
    );
    const evaluated = recorded.commits.filter((c) => c[0] === "evaluation_finished").map((c) => c[1]);
    assert.equal(new Set(evaluated).size, evaluated.length, "nothing evaluated twice");
    const order = proposed.slice(1).map((id) => Number(String(id).slice(1)));
    assert.ok(
      order.some((k, i) => i > 0 && k < (order[i - 1] as number)),
      "proposals were stored out of iteration order",
    );
    assert.ok(
      recorded.calls.some((c) => c[1] === "repair"),
      "a repair was recorded",
    );
    assert.ok(
      recorded.commits.some((c) => c[0] === "strategy_event"),
      "islands stored a migration",
    );

    // The replay: replies at once from the recording, evaluations with another timing.
    const schedule = scheduleOf(await store.events());
    assert.ok(schedule, "the run recorded its bases");
    evaluations = 3;
    const replayed = engine({
      config: config(concurrency, iterations),
      client: new ReplayClient(MODEL, new Recording(await store.modelCalls(), "recorded")),
      evaluator: new InstantEvaluator({ gate: () => turns((evaluations++ * 3) % 7) }),
      schedule,
    });
    assert.equal((await replayed.engine.run()).reason, "iterations");
    const again = await stored(replayed.store);
    assert.deepEqual(again.commits, recorded.commits);
    assert.deepEqual(again.programs, recorded.programs);
    assert.deepEqual(again.calls, recorded.calls);
  });
});
