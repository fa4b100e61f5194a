/**
 * `adrs status --edits`: acceptance and mean score change by model, role,
 * edit mode, operation and strategy, and edits that put back what an ancestor
 * removed; on hand-made records, and on a real run against the mock server
 * checked against its stored events.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { editRecords } from "../src/cli/commands/edits.ts";
import { parseRunConfig } from "../src/engine/config.ts";
import { startRun } from "../src/engine/session.ts";
import { type EditRecord, editGroups, reintroduces } from "../src/search/edits.ts";
import { type MockLlm, startMockLlm } from "./support/mock-llm.ts";
import { tempDir, widenSample, withStore } from "./support/run-helpers.ts";

const record = (fields: Partial<EditRecord>): EditRecord => ({
  candidateId: "c1",
  parentId: "c0",
  model: "a",
  role: "mutation",
  editMode: "diff",
  operation: "mutate",
  strategy: "islands",
  outcome: "program",
  delta: 0,
  reintroduces: false,
  ...fields,
});

test("groups: acceptance, improvements and mean change per value of each dimension", () => {
  const groups = editGroups([
    record({ model: "a", delta: 4 }),
    record({ model: "a", delta: -2, reintroduces: true }),
    record({ model: "a", outcome: "rejected", delta: null }),
    record({ model: "b", outcome: "failed", delta: null, role: "repair" }),
    record({ model: "b", outcome: "pending", delta: null }),
  ]);
  const byModel = groups
    .filter((g) => g.by === "model")
    .map((g) => [g.value, g.proposals, g.programs, g.acceptance, g.improved, g.meanDelta, g.reintroduced]);
  assert.deepEqual(byModel, [
    ["a", 3, 2, 2 / 3, 1, 1, 1],
    ["b", 1, 0, 0, 0, null, 0],
  ]);
  assert.deepEqual(
    groups.filter((g) => g.by === "role").map((g) => [g.value, g.proposals]),
    [
      ["mutation", 3],
      ["repair", 1],
    ],
  );
});

test("an edit that adds back a line an ancestor removed is counted", () => {
  const removedByGrandparent = "--- a\n+++ b\n@@ -1,2 +1,2 @@\n-const K = 3;\n+const K = 4;\n";
  const parent = "--- a\n+++ b\n@@ -5 +5 @@\n-x();\n+y();\n";
  assert.equal(
    reintroduces("--- a\n+++ b\n@@ -1 +1 @@\n-const K = 4;\n+const K = 3;\n", [parent, removedByGrandparent]),
    true,
  );
  assert.equal(
    reintroduces("--- a\n+++ b\n@@ -1 +1 @@\n-const K = 4;\n+const K = 5;\n", [parent, removedByGrandparent]),
    false,
  );
});

let mock: MockLlm;
before(async () => {
  let n = 0;
  // Replies in turn: a good edit, one that does not apply (repaired by the same model), one that throws.
  mock = await startMockLlm({
    responder: (body) => {
      const k = n++ % 4;
      if (k === 1) return "<<<<<<< SEARCH\nno such line\n=======\nx\n>>>>>>> REPLACE";
      if (k === 3)
        return "<<<<<<< SEARCH\n  return order;\n=======\n  throw new Error('boom');\n>>>>>>> REPLACE";
      return widenSample(body);
    },
  });
});
after(() => mock.close());

test("a run's edit records agree with its stored events, and status --edits prints them", async () => {
  const out = join(tempDir("edits"), "run");
  const config = parseRunConfig(
    {
      task: "txn-scheduling",
      models: [
        { model: "openai:mock-coder", baseUrl: mock.url, price: { inputPerMTok: 1, outputPerMTok: 4 } },
      ],
      strategy: { kind: "hill-climb" },
      concurrency: { proposals: 1, evaluations: 1, ordered: true },
      budget: { iterations: 3 },
      out,
    },
    "test config",
  );
  await (await startRun(config)).run();
  const records = await withStore(out, editRecords);
  await withStore(out, async (store) => {
    const events = await store.events();
    const proposed = events.filter((e) => e.type === "candidate_proposed" && e.iteration > 0);
    assert.equal(records.length, proposed.length);
    const programs = new Map((await store.programs()).map((p) => [p.id, p]));
    for (const r of records) {
      const p = programs.get(r.candidateId);
      assert.equal(r.outcome === "program", p !== undefined, r.candidateId);
      if (p) assert.equal(r.delta, p.score - programs.get(r.parentId)!.score);
      const calls = (await store.ledger()).filter((c) => c.candidateId === r.candidateId);
      assert.equal(r.role, calls.at(-1)!.role);
    }
  });
  assert.deepEqual(
    records.map((r) => [r.candidateId, r.role, r.outcome]),
    [
      ["c000001", "mutation", "program"],
      ["c000002", "repair", "program"],
      ["c000003", "mutation", "failed"],
    ],
  );
  const cli = spawnSync(
    process.execPath,
    [join(import.meta.dirname, "..", "bin", "adrs.js"), "status", out, "--edits", "--json"],
    { encoding: "utf8" },
  );
  assert.equal(cli.status, 0, cli.stderr);
  const report = JSON.parse(cli.stdout) as { edits: ReturnType<typeof editGroups> };
  assert.deepEqual(report.edits, editGroups(records));
  const text = spawnSync(
    process.execPath,
    [join(import.meta.dirname, "..", "bin", "adrs.js"), "status", out, "--edits"],
    { encoding: "utf8" },
  );
  assert.match(text.stdout, /by role\s+mutation\s+2\s+1\s+50 %/);
  assert.match(text.stdout, /\s+repair\s+1\s+1\s+100 %/);
});
