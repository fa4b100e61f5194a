/**
 * Tasks whose candidates and judges call models (issue 15), against the
 * loopback mock: the bridge serves a candidate's calls and charges them to role
 * `task`, the task's limits and the run's budget hold with their reasons, the
 * cache makes a second evaluation free, judge verdicts parse (a malformed one is
 * a clear failure), and hostile candidates fail cleanly.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import type { ModelCall } from "../src/core/types.ts";
import { Evaluator } from "../src/evaluate/index.ts";
import { TaskModels } from "../src/engine/task-models.ts";
import { Budget, createEnsemble, Ledger } from "../src/llm/index.ts";
import { taskHash } from "../src/queue/task-hash.ts";
import { ProcessSandbox } from "../src/sandbox/index.ts";
import type { Task } from "../src/task/contract.ts";
import { definitionProblems } from "../src/task/definition.ts";
import { loadTask } from "../src/task/load.ts";
import { type ChatRequestBody, type MockLlm, promptOf, startMockLlm } from "./support/mock-llm.ts";

export const MODEL_TASK = join(import.meta.dirname, "fixtures", "models", "model-task");
const price = { inputPerMTok: 1, outputPerMTok: 4 };

/** The mock's replies: a candidate's question gets an answer, the judge a verdict (malformed on demand). */
export function modelTaskResponder(judgeReply: () => string) {
  return (body: ChatRequestBody): string => {
    const system = body.messages[0]?.role === "system" ? String(body.messages[0].content) : "";
    if (system.startsWith("You grade answers")) return judgeReply();
    const prompt = promptOf(body);
    const asked = /^Answer (\w+): (.*)$/s.exec(prompt);
    if (asked) return `${asked[1]} answer to ${asked[2]}`;
    return `echo ${prompt.slice(0, 40)}`;
  };
}

let mock: MockLlm;
let task: Task;
let sandbox: ProcessSandbox;
let judgeReply = () => '{"score": 0.75}';

before(async () => {
  mock = await startMockLlm({ responder: modelTaskResponder(() => judgeReply()) });
  task = await loadTask(MODEL_TASK);
  sandbox = new ProcessSandbox({ concurrency: 2, warm: 1, log: () => {} });
});
after(async () => {
  await sandbox.close();
  await mock.close();
});
beforeEach(() => {
  judgeReply = () => '{"score": 0.75}';
});

/** The task's models over the mock (one model for both roles), with their ledger. */
function models(limitUsd?: number) {
  const ensemble = createEnsemble([{ model: "openai:mock-task", baseUrl: mock.url, price, maxRetries: 0 }]);
  const ledger = new Ledger(new Budget(limitUsd));
  const access = new TaskModels({ task: ensemble, judge: ensemble }, ledger);
  return { ledger, access, evaluator: new Evaluator(task, sandbox, { models: access }) };
}

/** The seed with its evolve block replaced by `body`. */
function program(body: string): string {
  return `import { llm } from "./api.ts";\n// EVOLVE-BLOCK-START\n${body}\n// EVOLVE-BLOCK-END\n`;
}

const rolesOf = (calls: ModelCall[]) => calls.map((c) => [c.role, c.candidateId]);

describe("the model bridge", () => {
  test("serves a candidate's calls through the ledger under role task, and the judge's under role judge", async () => {
    const { ledger, evaluator } = models();
    const before = mock.requests.length;
    const e = await evaluator.evaluate(task.initialCode, "train", undefined, { chargeTo: "c000001" });
    assert.equal(e.status, "ok", e.error);
    assert.equal(e.score, 75);
    assert.deepEqual(
      e.workloads.map((w) => [w.workload, w.metrics.grade]),
      [
        ["alpha", 0.75],
        ["beta", 0.75],
      ],
    );
    const calls = ledger.takeAll();
    assert.deepEqual(rolesOf(calls), [
      ["task", "c000001"],
      ["task", "c000001"],
      ["judge", "c000001"],
      ["judge", "c000001"],
    ]);
    // Every ledger entry is one request the provider received, at temperature 0 with the candidate's limit.
    const sent = mock.requests.slice(before);
    assert.equal(sent.length, calls.length);
    assert.equal(sent[0]?.temperature, 0);
    assert.equal(sent[0]?.max_tokens ?? sent[0]?.max_completion_tokens, 64);
    assert.equal(calls[0]?.reply, "briefly answer to What is alpha?");
    assert.ok(calls.every((c) => c.usage.costUsd > 0));
  });

  test("a second evaluation is free: the same requests are answered from the cache, even from other code", async () => {
    const { ledger, evaluator } = models();
    const first = await evaluator.evaluate(task.initialCode, "train", undefined, { chargeTo: "c000001" });
    const sent = mock.requests.length;
    ledger.takeAll();
    // Past the evaluation cache: the sandbox runs again, the model calls do not.
    const again = await evaluator.evaluate(task.initialCode, "train", undefined, {
      fresh: true,
      chargeTo: "c000002",
    });
    const other = await evaluator.evaluate(
      `${task.initialCode}\n// a comment changes the code, not its requests\n`,
      "train",
    );
    assert.equal(mock.requests.length, sent, "the mock saw no new request");
    assert.deepEqual(ledger.takeAll(), [], "no ledger entry, no dollar");
    const graded = (e: typeof first) => e.workloads.map((w) => [w.workload, w.valid, w.metrics]);
    assert.deepEqual(graded(again), graded(first));
    assert.equal(other.score, first.score);
  });

  test("calls over the task's limit fail the workload with the reason, even when the candidate catches the refusal", async () => {
    const { evaluator } = models();
    const e = await evaluator.evaluate(
      program(`export async function answer(q: string) {
  const a = await llm([{ role: "user", content: "Answer once: " + q }]);
  const b = await llm([{ role: "user", content: "Answer twice: " + q }]);
  let c = "";
  try { c = await llm([{ role: "user", content: "Answer thrice: " + q }]); } catch (err) { c = String(err); }
  return { answer: a + b + c };
}`),
      "train",
    );
    assert.equal(e.status, "error");
    assert.match(
      e.error ?? "",
      /^workload alpha: model calls: the limit of 2 model calls per workload is spent/,
    );
    assert.equal(e.score, 0);
  });

  test("a workload refused for its calls is not judged: no judge's call is paid for it", async () => {
    const { evaluator, ledger } = models();
    const before = mock.requests.length;
    // alpha stays within its 2 calls; beta makes a third, which it catches.
    const e = await evaluator.evaluate(
      program(`export async function answer(q: string) {
  const a = await llm([{ role: "user", content: "Answer: " + q }]);
  if (q.includes("beta")) { try { await llm([{ role: "user", content: "Again: " + q }]); await llm([{ role: "user", content: "Thrice: " + q }]); } catch {} }
  return { answer: a };
}`),
      "train",
    );
    assert.match(
      e.error ?? "",
      /workload beta: model calls: the limit of 2 model calls per workload is spent/,
    );
    const judgeCalls = ledger.takeAll().filter((c) => c.role === "judge");
    assert.equal(judgeCalls.length, 1, "alpha alone is judged");
    const judged = mock.requests.slice(before).filter((r) => promptOf(r).startsWith("You grade answers"));
    assert.equal(judged.length, 1);
    assert.match(promptOf(judged[0] as ChatRequestBody), /alpha/);
  });

  test("a request over the workload's tokens is refused before it is sent, with the reason", async () => {
    const { evaluator } = models();
    const sent = mock.requests.length;
    const e = await evaluator.evaluate(
      program(`export async function answer(q: string) {
  return { answer: await llm([{ role: "user", content: "x".repeat(4000) + q }]) };
}`),
      "train",
    );
    assert.equal(e.status, "error");
    assert.match(
      e.error ?? "",
      /model calls: the request \(about 1\d\d\d tokens of prompt\) does not fit in the 400 tokens left of the 400 per workload/,
    );
    assert.equal(mock.requests.length, sent);
  });

  test("malformed requests are refused with why, and the parent carries on", async () => {
    const { evaluator } = models();
    const cases: Array<[string, RegExp]> = [
      ['(globalThis as any).__adrsModel("not json")', /malformed request: the request is not JSON/],
      ["llm([])", /malformed request: messages must be a non-empty list/],
      ['llm([{ role: "tool", content: "x" }])', /malformed request: messages\[0\] must be/],
      [
        'llm([{ role: "user", content: "x" }], { model: "gpt-5" } as any)',
        /malformed request: options\.model is not an option/,
      ],
      [
        'llm([{ role: "user", content: "x" }], { maxTokens: -1 })',
        /malformed request: options\.maxTokens must be a positive integer/,
      ],
    ];
    for (const [call, reason] of cases) {
      const e = await evaluator.evaluate(
        program(`export async function answer(q: string) {
  try { await ${call}; } catch {}
  return { answer: q };
}`),
        "train",
      );
      assert.equal(e.status, "error", call);
      assert.match(e.error ?? "", reason, call);
    }
  });

  test("a hostile candidate spamming calls it catches, or calling as it loads, fails cleanly", async () => {
    const { evaluator } = models();
    const spam = await evaluator.evaluate(
      program(`export async function answer(q: string) {
  let n = 0;
  for (let i = 0; i < 10000; i++) { try { await llm([{ role: "user", content: "Answer spam: " + q }]); n++; } catch {} }
  return { answer: String(n) };
}`),
      "train",
    );
    assert.equal(spam.status, "error");
    assert.match(spam.error ?? "", /model calls: the limit of 2 model calls per workload is spent/);
    // A call made as the program loads is refused: no workload runs, so none could be charged with it.
    const sent = mock.requests.length;
    const early = await evaluator.evaluate(
      program(`const early = llm([{ role: "user", content: "Answer early: now" }]);
export async function answer(q: string) { return { answer: await early }; }`),
      "train",
    );
    assert.notEqual(early.status, "ok");
    assert.match(
      early.error ?? "",
      /models may be called only while a workload runs, not as the program loads/,
    );
    assert.equal(mock.requests.length, sent);
  });

  test("the run's dollar budget holds: a call it cannot hold is not sent, and the evaluation is an uncached error", async () => {
    const { ledger, evaluator } = models(0.000001);
    const sent = mock.requests.length;
    const e = await evaluator.evaluate(task.initialCode, "train");
    assert.equal(e.status, "error");
    assert.match(
      e.error ?? "",
      /got no reply: openai:mock-task: not sent: the dollar budget cannot hold its estimated cost/,
    );
    assert.equal(mock.requests.length, sent, "nothing was sent");
    assert.ok(ledger.budget.exhausted, "the run learns its budget is spent");
    const misses = evaluator.stats.misses;
    await evaluator.evaluate(task.initialCode, "train");
    assert.equal(evaluator.stats.misses, misses + 1, "not cached: it says nothing about the code");
  });

  test("a malformed verdict is a clear, uncached failure, never a silent zero", async () => {
    judgeReply = () => "Looks good to me!";
    const { evaluator } = models();
    const e = await evaluator.evaluate(task.initialCode, "train");
    assert.equal(e.status, "error");
    assert.match(
      e.error ?? "",
      /task\.check failed on workload "alpha": the judge's verdict is not \{"score": 0\.\.1\}: "Looks good to me!"/,
    );
    judgeReply = () => '{"score": 1}';
    const { evaluator: fixed } = models();
    // Not cached as the candidate's outcome: with a judge that answers properly the same code scores.
    const ok = await fixed.evaluate(task.initialCode, "train");
    assert.equal(ok.score, 100);
  });

  test("without models the evaluation says so, uncached", async () => {
    const evaluator = new Evaluator(task, sandbox);
    const e = await evaluator.evaluate(task.initialCode, "train");
    assert.equal(e.status, "error");
    assert.match(e.error ?? "", /this evaluation has no models to answer the candidate's calls/);
  });

  test("the judge's prompt is part of the task's hash and of every cached evaluation's key", () => {
    const changed = { ...task, judgePrompt: `${task.judgePrompt}Be strict.\n` };
    assert.notEqual(taskHash(changed), taskHash(task));
    const { access } = models();
    const a = new Evaluator(task, sandbox, { models: access }).cacheKey("x", "train");
    const b = new Evaluator(changed, sandbox, { models: access }).cacheKey("x", "train");
    assert.notEqual(a, b);
    assert.match(a, /\/models-[0-9a-f]{16}\//);
  });

  test("the cache is rebuilt from a stored ledger: a resumed run asks nothing again", async () => {
    const { ledger, evaluator } = models();
    await evaluator.evaluate(task.initialCode, "train", undefined, { chargeTo: "c000000" });
    const stored = ledger.takeAll();
    const sent = mock.requests.length;
    const resumed = models();
    resumed.access.restore(stored);
    const e = await resumed.evaluator.evaluate(task.initialCode, "train");
    assert.equal(e.status, "ok", e.error);
    assert.equal(mock.requests.length, sent);
    assert.deepEqual(resumed.ledger.takeAll(), []);
  });
});

test("a task's models are checked when it loads, each problem naming its field", async () => {
  const def = (await import(join(MODEL_TASK, "task.ts"))).default as Record<string, unknown>;
  const file = join(MODEL_TASK, "task.ts");
  assert.deepEqual(definitionProblems(def, file), []);
  const bad = { ...def, models: { candidate: { maxCalls: 0, maxTokens: 1.5 }, judge: {} } };
  assert.deepEqual(definitionProblems(bad, file), [
    'field "models.candidate.maxCalls" must be a positive integer (got 0)',
    'field "models.candidate.maxTokens" must be a positive integer (got 1.5)',
    'field "models.judge.prompt" must be a file name in the task folder (got nothing (missing))',
  ]);
  // Declaring neither role would make a task that calls no model refused wherever models are missing.
  assert.deepEqual(definitionProblems({ ...def, models: {} }, file), [
    'field "models" must be { candidate?, judge? } with at least one of them (got an object)',
  ]);
  const external = { ...def, check: undefined, external: { command: "python3 x.py", language: "python" } };
  assert.match(
    definitionProblems(external, file).join("\n"),
    /field "models": an external task cannot declare models/,
  );
});
