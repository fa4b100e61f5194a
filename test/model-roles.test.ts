/**
 * Model roles: each model serves the roles it lists (none listed: mutation and
 * repair), every call is recorded under its role in the one ledger, and a
 * config where no model serves mutation is refused.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseRunConfig } from "../src/engine/config.ts";
import { startRun } from "../src/engine/session.ts";
import { type MockLlm, startMockLlm } from "./support/mock-llm.ts";
import { tempDir, widenSample, withStore } from "./support/run-helpers.ts";

let mock: MockLlm;
before(async () => {
  // The mutation model answers with an edit that does not apply; the repair model with one that does.
  mock = await startMockLlm({
    responder: (body) =>
      body.model === "mock-fixer"
        ? widenSample({ ...body, messages: body.messages.slice(0, 2) })
        : "<<<<<<< SEARCH\nno such line\n=======\nconst X = 1;\n>>>>>>> REPLACE",
  });
});
after(() => mock.close());

const price = { inputPerMTok: 1, outputPerMTok: 4 };

test("a repair goes to the model serving repair, and the ledger records each call under its role", async () => {
  const out = join(tempDir("roles"), "run");
  const config = parseRunConfig(
    {
      task: "txn-scheduling",
      models: [
        { model: "openai:mock-coder", baseUrl: mock.url, price, roles: ["mutation"] },
        { model: "openai:mock-fixer", baseUrl: mock.url, price, roles: ["repair"] },
      ],
      strategy: { kind: "hill-climb" },
      concurrency: { proposals: 1, evaluations: 1 },
      budget: { iterations: 2 },
      out,
    },
    "test config",
  );
  await (await startRun(config)).run();
  await withStore(out, async (store) => {
    const calls = (await store.ledger()).map((c) => [c.iteration, c.role, c.model]);
    assert.deepEqual(calls, [
      [1, "mutation", "openai:mock-coder"],
      [1, "repair", "openai:mock-fixer"],
      [2, "mutation", "openai:mock-coder"],
      [2, "repair", "openai:mock-fixer"],
    ]);
    const summary = await store.summary();
    assert.deepEqual(summary.spendByRole.map((r) => [r.role, r.calls]).sort(), [
      ["mutation", 2],
      ["repair", 2],
    ]);
    // The repaired edits applied: both children are programs.
    assert.equal(summary.programs, 3);
  });
});

test("a config in which no model serves mutation is refused, naming the key", () => {
  assert.throws(
    () =>
      parseRunConfig(
        { task: "txn-scheduling", models: [{ model: "openai:x", roles: ["meta"] }] },
        "run.yaml",
      ),
    /run\.yaml: models: no model serves the role "mutation"/,
  );
  assert.throws(
    () =>
      parseRunConfig(
        { task: "txn-scheduling", models: [{ model: "openai:x", roles: ["cook"] }] },
        "run.yaml",
      ),
    /run\.yaml: models\.0\.roles\.0: .*"mutation"/,
  );
});
