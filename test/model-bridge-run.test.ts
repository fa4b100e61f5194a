/**
 * A run of a task whose candidates and judge call models (issue 15), against
 * the loopback mock: every call goes through the run's ledger under its role
 * (task, judge) and is charged to its candidate; the run replays exactly from
 * its recording, without the network; what such a run cannot do is refused
 * before anything is written.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { ModelCall } from "../src/core/types.ts";
import { parseRunConfig, type RunConfig } from "../src/engine/config.ts";
import { startRun } from "../src/engine/session.ts";
import type { Store } from "../src/store/store.ts";
import { type ChatRequestBody, type MockLlm, promptOf, startMockLlm } from "./support/mock-llm.ts";
import { assertReplayIdentical, tempDir, withStore } from "./support/run-helpers.ts";

const MODEL_TASK = join(import.meta.dirname, "fixtures", "models", "model-task");
const STYLES = ["briefly", "precisely", "thoroughly", "exhaustively"];
const price = { inputPerMTok: 1, outputPerMTok: 4 };

/** The mock as three models: a coder that tries the next style, the candidate's answerer, and the judge. */
function responder(body: ChatRequestBody): string {
  const prompt = promptOf(body);
  if (body.model === "mock-judge") {
    const { answer } = JSON.parse(String(body.messages.at(-1)?.content)) as { answer: string };
    return JSON.stringify({ score: Math.min(1, (answer.split(" ")[0] ?? "").length / 12) });
  }
  if (body.model === "mock-task") {
    const asked = /^Answer (\w+): (.*)$/s.exec(prompt);
    return asked ? `${asked[1]} answered: ${asked[2]}` : "?";
  }
  const parent = prompt.slice(prompt.indexOf("# Current program"));
  const style = /const STYLE = "(\w+)";/.exec(parent)?.[1] ?? "briefly";
  const next = STYLES[(STYLES.indexOf(style) + 1) % STYLES.length];
  return [
    "<<<<<<< SEARCH",
    `const STYLE = "${style}";`,
    "=======",
    `const STYLE = "${next}";`,
    ">>>>>>> REPLACE",
  ].join("\n");
}

let mock: MockLlm;
let recorded: string;

function config(out: string, overrides: Record<string, unknown> = {}): RunConfig {
  return parseRunConfig(
    {
      task: MODEL_TASK,
      models: [
        { model: "openai:mock-coder", baseUrl: mock.url, price },
        { model: "openai:mock-task", baseUrl: mock.url, price, roles: ["task"] },
        { model: "openai:mock-judge", baseUrl: mock.url, price, roles: ["judge"] },
      ],
      concurrency: { proposals: 1, evaluations: 1 },
      budget: { iterations: 4 },
      out,
      ...overrides,
    },
    "test config",
  );
}

async function picture(store: Store) {
  return {
    programs: (await store.programs()).map((p) => [p.id, p.parentId, p.score, p.code]),
    // Each candidate's calls in their order (a best's test evaluation is stored when it ends, among the rest as it falls).
    calls: [...(await store.modelCalls())]
      .map((c: ModelCall) => [c.candidateId, c.role, c.model, c.messages, c.reply] as const)
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    best: await store.best().then((b) => b && [b.program.id, b.program.score, b.test?.score]),
  };
}

before(async () => {
  mock = await startMockLlm({ responder });
  recorded = join(tempDir("model-run"), "recorded");
  const session = await startRun(config(recorded), { env: {} });
  assert.equal((await session.run()).reason, "iterations");
});
after(async () => {
  await mock.close();
});

test("a run serves its candidates' calls (role task) and its judge's (role judge) through the ledger, charged to each candidate", async () => {
  await withStore(recorded, async (store) => {
    const calls = await store.modelCalls();
    const byRole = (role: string) => calls.filter((c) => c.role === role);
    assert.ok(byRole("task").length >= 2, "the seed's two workloads asked the task model");
    assert.ok(byRole("judge").length >= 2);
    assert.ok(byRole("task").every((c) => c.model === "openai:mock-task" && c.candidateId !== null));
    assert.ok(byRole("judge").every((c) => c.model === "openai:mock-judge" && c.candidateId !== null));
    // The seed's calls are the seed's: c000000 asked both of its train questions.
    assert.deepEqual(
      byRole("task")
        .filter((c) => c.candidateId === "c000000")
        .map((c) => c.messages[0]?.content),
      ["Answer briefly: What is alpha?", "Answer briefly: What is beta?", "Answer briefly: What is gamma?"],
    );
    // Requests asked once per run: the cache answered every repeat (no two entries ask the same).
    const asked = calls
      .filter((c) => c.role === "task" || c.role === "judge")
      .map((c) => JSON.stringify([c.role, c.messages]));
    assert.equal(new Set(asked).size, asked.length);
    const summary = await store.summary();
    const roles = new Set(summary.spendByRole.map((r) => r.role));
    assert.ok(roles.has("task") && roles.has("judge"), `spend by role: ${[...roles]}`);
    const programs = await store.programs();
    assert.ok(
      programs.some((p) => p.score > programs[0]!.score),
      "the judge's grades steer the search",
    );
  });
});

test("a replayed run is identical, and asks the network nothing", async () => {
  await assertReplayIdentical(mock, responder, recorded, picture);
});

test("what a run of such a task cannot do is refused before anything is written", async () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [
      { queue: "workers", store: "postgres://nobody@localhost:1/none" },
      /queue: workers cannot evaluate task model-task/,
    ],
    [{ audit: { onNewBest: true } }, /audit\.onNewBest: task model-task declares models/],
    [{ models: [] }, /models: task model-task declares models \(role task\): configure at least one model/],
  ];
  for (const [overrides, reason] of cases) {
    const out = join(tempDir("model-run"), "refused");
    await assert.rejects(startRun(config(out, overrides), { env: {} }), reason);
    assert.equal(existsSync(join(out, "run.db")), false);
  }
});
