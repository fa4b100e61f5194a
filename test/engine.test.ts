import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { resumeRun, startRun } from "../src/engine/session.ts";
import { type MockLlm, startMockLlm } from "./support/mock-llm.ts";
import { mockRunConfig, tempDir, widenSample, withStore } from "./support/run-helpers.ts";

let mock: MockLlm;
before(async () => {
  mock = await startMockLlm({ responder: widenSample });
});
after(async () => {
  await mock.close();
});

test("a run against the mock model improves the txn-scheduling score over the seed", async () => {
  const out = join(tempDir("engine"), "run");
  const session = await startRun(mockRunConfig(mock.url, out, { budget: { iterations: 6 } }));
  const outcome = await session.run();
  assert.equal(outcome.reason, "iterations");
  await withStore(out, async (store) => {
    const programs = await store.programs();
    const seed = programs.find((p) => p.parentId === null);
    assert.ok(seed);
    const best = await store.best();
    assert.ok(best);
    assert.ok(best.program.score > seed.score, `best ${best.program.score} should beat seed ${seed.score}`);
    assert.match(best.program.diff, /SAMPLE_SIZE/);
    assert.equal(typeof best.test?.score, "number", "the best program has a held-out test score");
    const summary = await store.summary();
    assert.equal(summary.iterations, 6);
    assert.equal(summary.state, "stopped");
    // Every model call is in the ledger with its tokens and dollars.
    const spend = summary.spend.find((s) => s.model === "openai:mock-coder");
    assert.ok(spend && spend.calls === 6 && spend.inputTokens > 0 && spend.costUsd > 0);
    // Each proposal stored its prompt and reply.
    const proposed = (await store.events()).filter((e) => e.type === "candidate_proposed" && e.iteration > 0);
    assert.equal(proposed.length, 6);
    for (const e of proposed) {
      if (e.type !== "candidate_proposed") continue;
      assert.match(e.prompt, /# Current program/);
      assert.match(e.reply, /SEARCH/);
    }
  });
});

test("malformed replies and failing candidates do not stop the run", async () => {
  const out = join(tempDir("engine"), "run");
  const throwing = [
    "<<<<<<< SEARCH",
    "  return order;",
    "=======",
    '  throw new Error("boom");',
    ">>>>>>> REPLACE",
  ].join("\n");
  const syntax = [
    "<<<<<<< SEARCH",
    "  return order;",
    "=======",
    "  return order +;",
    ">>>>>>> REPLACE",
  ].join("\n");
  const dropped = [
    "<<<<<<< SEARCH",
    "  return order;",
    "=======",
    "  return order.slice(1);",
    ">>>>>>> REPLACE",
  ].join("\n");
  const outside = [
    "<<<<<<< SEARCH",
    'import { rng, type Workload } from "./api.ts";',
    "=======",
    'import { rng, type Workload } from "./api.ts";\nimport * as fs from "node:fs";',
    ">>>>>>> REPLACE",
  ].join("\n");
  // With one proposal in flight, the queue is consumed in order: a reply with no edit and its
  // failed repair, an edit outside the EVOLVE-BLOCK twice, then three candidates that fail.
  mock.enqueue(
    { text: "Let me think about this problem." },
    { text: "Still no blocks, sorry." },
    { text: outside },
    { text: outside },
    { fault: "garbage" },
    { fault: "garbage" },
    { fault: "garbage" },
    { text: throwing },
    { text: syntax },
    { text: dropped },
  );
  const session = await startRun(
    mockRunConfig(mock.url, out, {
      budget: { iterations: 6 },
      // Ordered: iteration k is selected only once k − 1 has settled, so each prompt's failures are known.
      concurrency: { proposals: 1, evaluations: 1, ordered: true },
    }),
  );
  const outcome = await session.run();
  assert.equal(outcome.reason, "iterations");
  await withStore(out, async (store) => {
    const events = await store.events();
    const rejected = events.filter((e) => e.type === "edit_rejected");
    const reasons = rejected.map((e) => (e.type === "edit_rejected" ? e.reason : ""));
    assert.equal(rejected.length, 3, reasons.join("\n"));
    assert.match(reasons[0] ?? "", /SEARCH/);
    assert.match(reasons[1] ?? "", /outside|EVOLVE-BLOCK/i);
    assert.match(reasons[2] ?? "", /model call failed/);
    const failed = events.flatMap((e) =>
      e.type === "evaluation_finished" && e.evaluation.status !== "ok" ? [e.evaluation] : [],
    );
    assert.equal(failed.length, 3);
    assert.match(failed[0]?.error ?? failed[0]?.feedback ?? "", /boom/);
    assert.equal(failed[1]?.status, "error");
    assert.equal(failed[2]?.status, "invalid");
    // The repair request carried the error back to the model.
    const repair = mock.requests.find((r) =>
      r.messages.some((m) => /could not be applied/.test(String(m.content))),
    );
    assert.ok(repair, "a failed edit is sent back once with its error");
    // Failed attempts are shown in later prompts of the same parent (the seed: nothing else was
    // inserted). Ordered with one proposal in flight, iteration k is selected only after k − 1
    // settled, so each prompt shows the failures just before it, newest first, whatever the timing.
    const prompts = new Map(
      events.flatMap((e) => (e.type === "candidate_proposed" ? [[e.iteration, e.prompt] as const] : [])),
    );
    const failuresShown = (iteration: number) => {
      const prompt = prompts.get(iteration) ?? "";
      const section = prompt.split("# Recent failed attempts on the current program")[1] ?? "";
      return [...section.matchAll(/## Attempt (c\d+)\n\nWhy it failed: (.*)/g)].map((m) => [m[1], m[2]]);
    };
    assert.deepEqual(failuresShown(1), [], "the first proposal has no failures to show");
    const second = failuresShown(2);
    assert.equal(second.length, 1);
    assert.equal(second[0]?.[0], "c000001");
    assert.equal(
      second[0]?.[1],
      reasons[0]?.split("\n")[0],
      "the rejection's reason reaches the next prompt",
    );
    const fifth = failuresShown(5).map(([id]) => id);
    assert.deepEqual(fifth, ["c000004", "c000003", "c000002"], "newest first, three at most");
    assert.match(failuresShown(5)[0]?.[1] ?? "", /boom/, "the candidate's error reaches the next prompt");
    assert.deepEqual(
      failuresShown(6).map(([id]) => id),
      ["c000005", "c000004", "c000003"],
    );
    const summary = await store.summary();
    assert.equal(summary.rejectedEdits, 3);
    assert.equal(summary.failedEvaluations, 3);
    assert.equal(summary.state, "stopped");
  });
});

test("the same seed and the same replies give the same run (one proposal at a time)", async () => {
  const runOnce = async () => {
    const out = join(tempDir("engine"), "run");
    const session = await startRun(
      mockRunConfig(mock.url, out, {
        budget: { iterations: 5 },
        concurrency: { proposals: 1, evaluations: 1 },
        seed: 7,
      }),
    );
    await session.run();
    return withStore(out, async (store) =>
      (await store.programs()).map((p) => [p.id, p.parentId, p.tag, p.score, p.code]),
    );
  };
  const first = await runOnce();
  const second = await runOnce();
  assert.ok(first.length > 2);
  assert.deepEqual(second, first);
});

test("a run stopped and resumed continues exactly as if it had not stopped", async () => {
  const config = (out: string) =>
    mockRunConfig(mock.url, out, {
      budget: { iterations: 7 },
      concurrency: { proposals: 1, evaluations: 1 },
      strategy: { islands: 2, migrationInterval: 2 },
      seed: 11,
    });
  const programs = (out: string) =>
    withStore(out, async (store) => (await store.programs()).map((p) => [p.id, p.parentId, p.tag, p.code]));

  const straight = join(tempDir("engine"), "run");
  await (await startRun(config(straight))).run();

  const interrupted = join(tempDir("engine"), "run");
  const first = await startRun(config(interrupted), {
    onEvent: (e) => {
      if (e.type === "evaluation_finished" && e.candidateId === "c000003") first.engine.stop("interrupted");
    },
  });
  assert.equal((await first.run()).reason, "interrupted");
  const partial = await programs(interrupted);
  assert.ok(partial.length < (await programs(straight)).length, "the first session stopped early");
  const second = await resumeRun(interrupted);
  assert.equal((await second.run()).reason, "iterations");
  assert.deepEqual(await programs(interrupted), await programs(straight));
});
