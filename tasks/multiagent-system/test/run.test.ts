/**
 * multiagent-system end to end: a run against the loopback mock, the seed team
 * in the real sandbox calling the run's model of role task through the bridge,
 * the judge (role judge) marking its traces. Shows what only a whole run shows:
 * the guard ties the team's logged calls to the calls the bridge served
 * (RunInfo.modelCalls), every call is in the ledger under its role, and a
 * replay stores the same thing without the network.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseRunConfig } from "../../../src/engine/config.ts";
import { startRun } from "../../../src/engine/session.ts";
import type { Store } from "../../../src/store/store.ts";
import type { ModelRequest } from "../../../src/task/api.ts";
import { type ChatRequestBody, type MockLlm, startMockLlm } from "../../../test/support/mock-llm.ts";
import { assertReplayIdentical, tempDir, withStore } from "../../../test/support/run-helpers.ts";
import { answerTask, verdictJson } from "./fake-models.ts";

const price = { inputPerMTok: 1, outputPerMTok: 4 };

/** The team's model answers as the in-process fake does; the judge finds one failure; the coder proposes nothing usable. */
function responder(body: ChatRequestBody): string {
  if (body.model === "mock-task") {
    const messages = body.messages.map((m) => ({ role: m.role, content: String(m.content) }));
    return answerTask({ messages, options: {} } as ModelRequest);
  }
  if (body.model === "mock-judge") return verdictJson({ "1.5": "the tester never ran the tests it wrote" });
  return "no edit here";
}

let mock: MockLlm;
let recorded: string;

async function picture(store: Store) {
  return {
    programs: (await store.programs()).map((p) => [p.id, p.score, p.metrics]),
    calls: (await store.modelCalls()).map((c) => [c.candidateId, c.role, c.model, c.messages, c.reply]),
  };
}

before(async () => {
  mock = await startMockLlm({ responder });
  recorded = join(tempDir("mas-run"), "recorded");
  const config = parseRunConfig(
    {
      task: "multiagent-system",
      models: [
        { model: "openai:mock-coder", baseUrl: mock.url, price },
        { model: "openai:mock-task", baseUrl: mock.url, price, roles: ["task"] },
        { model: "openai:mock-judge", baseUrl: mock.url, price, roles: ["judge"] },
      ],
      concurrency: { proposals: 1, evaluations: 1 },
      budget: { iterations: 1 },
      out: recorded,
    },
    "test config",
  );
  const session = await startRun(config, { env: {} });
  assert.equal((await session.run()).reason, "iterations");
});
after(async () => {
  await mock.close();
});

test("the seed team runs in the sandbox through the bridge; the guard ties its calls; the judge's failure is scored", async () => {
  await withStore(recorded, async (store) => {
    const seed = (await store.programs()).find((p) => p.id === "c000000");
    assert.ok(seed, "the seed was evaluated");
    // Every idea's verification was tied to a call the bridge really served.
    assert.equal(seed.metrics.calls_tied, 9, JSON.stringify(seed.metrics));
    // One failure on every idea: 1/(1+1) per trace.
    assert.equal(seed.metrics.mast_score, 0.5);
    assert.equal(seed.metrics.failures_per_trace, 1);
    const calls = await store.modelCalls();
    const task = calls.filter((c) => c.role === "task");
    const judge = calls.filter((c) => c.role === "judge");
    // Coder, tester, reviewer on each of the train ideas; one verdict per idea.
    assert.ok(task.length >= 3 * 9, `${task.length} team calls`);
    assert.ok(judge.length >= 9, `${judge.length} judge calls`);
    assert.ok([...task, ...judge].every((c) => c.candidateId === "c000000"));
  });
});

test("a replayed run of the task stores the same programs and calls, asking the network nothing", async () => {
  await assertReplayIdentical(mock, responder, recorded, picture);
});
