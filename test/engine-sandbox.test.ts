/**
 * A run's evaluations in the process sandbox, end to end (SQLite, a real
 * task): the pool is sized to the evaluations in flight and warm before the
 * seed; the seed's evaluation time sets each candidate's limit, a looping
 * candidate is stopped at that limit instead of the task's, and the limit in
 * force is stored with every evaluation and said in the log.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { parseRunConfig } from "../src/engine/config.ts";
import { startRun } from "../src/engine/session.ts";
import type { Proposal, Proposer } from "../src/search/proposer.ts";
import { tempDir, withStore } from "./support/run-helpers.ts";

const sumTask = join(import.meta.dirname, "fixtures", "sum-task");
/** sum-task's own limit per sandbox run (its task.ts): the ceiling. */
const TASK_LIMIT_MS = 20_000;

/** Children change only a comment (new code: not served from the evaluation cache); child `loopAt` loops for ever. */
function scripted(loopAt?: number): Proposer {
  return {
    async propose(context): Promise<Proposal> {
      const code =
        context.iteration === loopAt
          ? context.parent.code.replace("let sum = 0;", "let sum = 0;\n  while (sum >= 0) sum = 0;")
          : context.parent.code.replace("let sum = 0;", `let sum = 0; // child ${context.iteration}`);
      return {
        code,
        diff: "",
        model: "scripted",
        prompt: "",
        reply: "",
        usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      };
    },
  };
}

test("a looping candidate is stopped at the seed-based limit, which is stored with each evaluation and logged", async () => {
  const out = join(tempDir("limit"), "run");
  const notices: string[] = [];
  const adaptiveTimeout = { multiple: 3, floorMs: 1500 };
  const config = parseRunConfig(
    {
      task: sumTask,
      budget: { iterations: 2 },
      concurrency: { proposals: 1, evaluations: 1 },
      evaluation: { adaptiveTimeout },
      out,
    },
    "test config",
  );
  const session = await startRun(config, { proposer: scripted(1), onNotice: (l) => notices.push(l) });
  assert.equal((await session.run()).reason, "iterations");

  await withStore(out, async (store) => {
    const evaluations = new Map(
      (await store.events()).flatMap((e) =>
        e.type === "evaluation_finished" ? [[e.candidateId, e.evaluation] as const] : [],
      ),
    );
    const seed = evaluations.get("c000000");
    assert.ok(seed?.status === "ok", "the seed evaluated");
    assert.equal(seed.timeoutMs, TASK_LIMIT_MS, "the seed ran under the task's limit");
    const limit = Math.min(
      TASK_LIMIT_MS,
      Math.max(adaptiveTimeout.floorMs, Math.ceil(adaptiveTimeout.multiple * seed.durationMs)),
    );
    assert.ok(limit < TASK_LIMIT_MS, `the adaptive limit (${limit} ms) is below the task's`);

    const loop = evaluations.get("c000001");
    assert.equal(loop?.status, "timeout");
    assert.equal(loop.timeoutMs, limit, "the limit in force is stored with the evaluation");
    assert.match(loop.error ?? "", new RegExp(`${limit} ?ms`), "the sandbox was given that limit");
    const honest = evaluations.get("c000002");
    assert.equal(honest?.status, "ok");
    assert.equal(honest.timeoutMs, limit);
  });
  const line = notices.find((l) => l.startsWith("evaluation time limit:"));
  assert.ok(line, `the limit is in the log: ${notices.join(" | ")}`);
});

test("the sandbox pool is sized to the evaluations in flight and warm before the seed is evaluated", async () => {
  const out = join(tempDir("pool"), "run");
  const config = parseRunConfig(
    { task: sumTask, budget: { iterations: 3 }, concurrency: { proposals: 2, evaluations: 3 }, out },
    "test config",
  );
  const session = await startRun(config, { proposer: scripted() });
  // Jobs: three candidates' evaluations and the held-out test of a new best.
  assert.equal(session.sandbox.concurrency, 4);
  // The protection probe is shared: once it is answered, the pool has started its children.
  await session.sandbox.ready();
  assert.equal(session.sandbox.idleChildren(), 3, "three children started before the run");
  await session.sandbox.warmed();
  assert.equal((await session.run()).reason, "iterations");
});
