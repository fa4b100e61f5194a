/**
 * The hostile-candidate corpus (test/hostile/*.ts): programs a model might
 * write by accident or on purpose. Each file says what it tries (`// hostile:`)
 * and what must come of it (`// expect: status=… score=… error=/…/
 * durationMin=…`). Every one must be contained: this process lives on, the
 * run goes on, and the candidate scores 0 with a reason naming what happened,
 * or, for tampering that cannot gain anything, exactly its honest score
 * (`score=initial`: the fixture's initial program computes the same answer).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Evaluation } from "../src/core/types.ts";
import { Evaluator } from "../src/evaluate/index.ts";
import { ProcessSandbox } from "../src/sandbox/index.ts";
import { loadTask } from "../src/task/index.ts";

const dir = join(import.meta.dirname, "hostile");
const fixture = join(import.meta.dirname, "fixtures", "sum-task");
/**
 * Modest limits keep the corpus fast. A program whose expectation is one
 * limit in particular (the heap) gets a clock it cannot reach on a loaded
 * machine (`timeoutMs=`), so that only that limit can end it.
 */
const LIMITS = { memoryMb: 64, timeoutMs: 5000 };

interface Expectation {
  statuses: string[];
  timeoutMs?: number;
  score?: number | "initial";
  error?: RegExp;
  durationMin?: number;
}

interface Program {
  file: string;
  what: string;
  code: string;
  expect: Expectation;
}

function parse(file: string): Program {
  const code = readFileSync(join(dir, file), "utf8");
  const what = /^\/\/ hostile: (.+)$/m.exec(code)?.[1];
  const line = /^\/\/ expect: (.+)$/m.exec(code)?.[1];
  if (!what || !line) throw new Error(`${file}: needs "// hostile:" and "// expect:" lines`);
  const expect: Expectation = { statuses: [] };
  for (const [, key, value] of line.matchAll(/(\w+)=(\/(?:\\.|[^/])+\/|\S+)/g)) {
    if (key === undefined || value === undefined) continue;
    if (key === "status") expect.statuses = value.split("|");
    else if (key === "score") expect.score = value === "initial" ? "initial" : Number(value);
    else if (key === "error") expect.error = new RegExp(value.slice(1, -1));
    else if (key === "durationMin") expect.durationMin = Number(value);
    else if (key === "timeoutMs") expect.timeoutMs = Number(value);
    else throw new Error(`${file}: unknown expectation "${key}"`);
  }
  if (expect.statuses.length === 0) throw new Error(`${file}: "// expect:" needs status=…`);
  return { file, what, code, expect };
}

const programs = readdirSync(dir)
  .filter((f) => f.endsWith(".ts"))
  .sort()
  .map(parse);

describe("hostile candidates are contained", () => {
  const sandbox = new ProcessSandbox({ concurrency: 3, maxOutputBytes: 1024 * 1024, log: () => undefined });
  let initial: Evaluation;
  let evaluator: (timeoutMs: number) => Evaluator;
  const results = new Map<string, Promise<Evaluation>>();

  before(async () => {
    const task = await loadTask(fixture);
    const evaluators = new Map<number, Evaluator>();
    evaluator = (timeoutMs: number) => {
      let ev = evaluators.get(timeoutMs);
      if (!ev) {
        ev = new Evaluator(task, sandbox, { ...LIMITS, timeoutMs, cacheSize: 0 });
        evaluators.set(timeoutMs, ev);
      }
      return ev;
    };
    initial = await evaluator(LIMITS.timeoutMs).evaluate(task.initialCode, "train");
    assert.equal(initial.status, "ok");
    // All at once: the sandbox runs three at a time, the rest wait their turn.
    for (const p of programs) {
      const pending = evaluator(p.expect.timeoutMs ?? LIMITS.timeoutMs).evaluate(p.code, "train");
      pending.catch(() => undefined);
      results.set(p.file, pending);
    }
  });
  after(() => sandbox.close());

  test("the corpus holds at least 25 programs", () => {
    assert.ok(programs.length >= 25, `${programs.length} programs`);
  });

  for (const p of programs) {
    test(`${p.file}: ${p.what}`, async () => {
      const e = await (results.get(p.file) as Promise<Evaluation>);
      const summary = `${e.status} ${e.score}: ${e.error ?? e.feedback.split("\n")[0]}`;
      assert.ok(p.expect.statuses.includes(e.status), `status ${summary}`);
      const score = p.expect.score === "initial" ? initial.score : (p.expect.score ?? 0);
      assert.equal(e.score, score, `score ${summary}`);
      if (e.status !== "ok") {
        assert.ok((e.error ?? "").trim() !== "", "a failure names its reason");
        assert.match(e.feedback, /score 0/);
      }
      if (p.expect.error) assert.match(e.error ?? "", p.expect.error, summary);
      if (p.expect.durationMin !== undefined) {
        for (const w of e.workloads)
          assert.ok((w.durationMs ?? 0) >= p.expect.durationMin, `${w.workload}: ${w.durationMs} ms`);
      }
    });
  }

  test("the run goes on: an honest candidate still scores 100 afterwards", async () => {
    await Promise.allSettled(results.values());
    const good =
      "export function solve(xs: number[]) { let s = 0; for (const x of xs) s += x; return { sum: s }; }";
    const e = await evaluator(LIMITS.timeoutMs).evaluate(good, "train");
    assert.equal(e.status, "ok");
    assert.equal(e.score, 100);
  });
});
