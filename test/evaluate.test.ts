import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Evaluation } from "../src/core/types.ts";
import { type EvaluationCache, Evaluator, FileEvaluationCache } from "../src/evaluate/index.ts";
import type { Sandbox, SandboxJob, SandboxResult } from "../src/sandbox/index.ts";
import { ProcessSandbox } from "../src/sandbox/index.ts";
import type { RunInfo, Task } from "../src/task/index.ts";
import { loadTask } from "../src/task/index.ts";

const fixture = join(import.meta.dirname, "fixtures", "sum-task");

const GOOD = `import type { Answer } from "./api.ts";
export function solve(numbers: readonly number[]): Answer {
  let sum = 0;
  for (const x of numbers) sum += x;
  return { sum };
}
`;

/** Counts jobs and keeps their results, so tests can tell a cache hit from a fresh run. */
class CountingSandbox implements Sandbox {
  runs = 0;
  readonly results: SandboxResult[] = [];
  constructor(private readonly inner: Sandbox) {}
  async run(job: SandboxJob): Promise<SandboxResult> {
    this.runs++;
    const result = await this.inner.run(job);
    this.results.push(result);
    return result;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

let task: Task;
const sandbox = new ProcessSandbox({ concurrency: 2 });

before(async () => {
  task = await loadTask(fixture);
});
after(() => sandbox.close());

function evaluator(options: ConstructorParameters<typeof Evaluator>[2] = {}, t: Task = task) {
  const counting = new CountingSandbox(sandbox);
  return { ev: new Evaluator(t, counting, { cacheSize: 0, ...options }), counting };
}

describe("Evaluator", () => {
  test("a correct candidate scores 100 on every workload", async () => {
    // A clock that reads 1000 at the start and 1250 ever after: the evaluation took 250 ms by it.
    let reads = 0;
    const now = () => (reads++ === 0 ? 1000 : 1250);
    const { ev, counting } = evaluator({ now });
    const e = await ev.evaluate(GOOD, "train");
    assert.equal(e.status, "ok");
    assert.equal(e.score, 100);
    assert.deepEqual(e.metrics, { relError: 0 });
    assert.deepEqual(
      e.workloads.map((w) => [w.workload, w.valid]),
      [
        ["small", true],
        ["mixed", true],
        ["large", true],
      ],
    );
    // Each workload's duration is the sandbox's measure of its call.
    assert.equal(counting.results.length, 1);
    assert.deepEqual(
      e.workloads.map((w) => w.durationMs),
      counting.results[0]?.outputs.map((o) => o.durationMs),
    );
    assert.deepEqual(e.stages, [{ name: "full", score: 100, metrics: { relError: 0 }, passed: true }]);
    assert.match(e.feedback, /^Score 100\/100 over 3 workloads; relError = 0/);
    assert.equal(e.error, undefined);
    assert.equal(e.durationMs, 250);
  });

  test("the initial program scores between the anchors, and the test split is separate", async () => {
    const { ev } = evaluator();
    const train = await ev.evaluate(task.initialCode, "train");
    assert.equal(train.status, "ok");
    assert.ok(train.score > 0 && train.score < 100, String(train.score));
    const test_ = await ev.evaluate(task.initialCode, "test");
    assert.deepEqual(
      test_.workloads.map((w) => w.workload),
      ["t-mixed", "t-large"],
    );
  });

  test("feedback lists workloads worst first", async () => {
    const { ev } = evaluator();
    const e = await ev.evaluate(task.initialCode, "train");
    const lines = e.feedback.split("\n").filter((l) => l.startsWith("- "));
    const errors = lines.map((l) => Number(/relError=([\d.e+-]+)/.exec(l)?.[1]));
    assert.equal(lines.length, 3);
    assert.deepEqual(
      errors,
      [...errors].sort((a, b) => b - a),
    );
  });

  test("a syntax error is an error evaluation naming line and column", async () => {
    const { ev, counting } = evaluator();
    const e = await ev.evaluate("export function solve(xs: number[]) {\n  return { sum: 1 \n}}}\n", "train");
    assert.equal(e.status, "error");
    assert.equal(e.score, 0);
    assert.match(e.error ?? "", /program\.ts:3:3: /);
    assert.match(e.feedback, /does not compile/);
    assert.match(e.feedback, /program\.ts:3:3/);
    assert.equal(counting.runs, 0);
  });

  test("importing node:fs fails to compile with a clear error", async () => {
    const { ev } = evaluator();
    const code = `import { readFileSync } from "node:fs";\nexport function solve() { return { sum: Number(readFileSync("/x")) }; }`;
    const e = await ev.evaluate(code, "train");
    assert.equal(e.status, "error");
    assert.match(
      e.error ?? "",
      /program\.ts:1:30: Cannot import "node:fs": Node built-in modules are not available/,
    );
  });

  test("an endless loop times out and the engine carries on", async () => {
    const { ev } = evaluator({ timeoutMs: 1000 });
    const e = await ev.evaluate("export function solve() { while (true) {} }", "train");
    assert.equal(e.status, "timeout");
    assert.equal(e.score, 0);
    assert.match(e.error ?? "", /timed out after 1000 ms/);
    assert.match(e.feedback, /^Timed out after 0 of 3 workloads/);
    assert.equal(e.workloads[0]?.error, e.error);
    assert.equal(e.workloads[1]?.error, "not run");
    const ok = await evaluator().ev.evaluate(GOOD, "train");
    assert.equal(ok.status, "ok");
  });

  test("a timeout on a later workload keeps the finished ones", async () => {
    const { ev } = evaluator({ timeoutMs: 1500 });
    const code = `export function solve(xs: number[]) {\n  if (xs.length > 1000) while (true) {}\n  return { sum: xs.reduce((a, b) => a + b, 0) };\n}`;
    const e = await ev.evaluate(code, "train");
    assert.equal(e.status, "timeout");
    assert.deepEqual(
      e.workloads.map((w) => w.valid),
      [true, true, false],
    );
    assert.match(e.feedback, /after 2 of 3 workloads/);
  });

  test("a memory bomb crashes, naming the heap limit", async () => {
    const { ev } = evaluator({ memoryMb: 64 });
    const code = `export function solve() { const a: number[][] = []; while (true) a.push(new Array(1e5).fill(1.5)); }`;
    const e = await ev.evaluate(code, "train");
    assert.equal(e.status, "crash");
    assert.match(e.error ?? "", /heap limit of 64 MB exceeded/);
  });

  test("a thrown non-Error is an error with its value in the feedback", async () => {
    const { ev } = evaluator();
    const e = await ev.evaluate(`export function solve() { throw "no idea"; }`, "train");
    assert.equal(e.status, "error");
    assert.equal(e.score, 0);
    assert.match(e.error ?? "", /^workload small: threw a non-Error value: "no idea"/);
    assert.ok(e.workloads.every((w) => !w.valid));
  });

  test("an exception's stack points into program.ts", async () => {
    const { ev } = evaluator();
    const code = `export function solve(xs: number[]) {\n  const table: any = undefined;\n  return { sum: table[xs.length] };\n}`;
    const e = await ev.evaluate(code, "train");
    assert.equal(e.status, "error");
    assert.match(e.feedback, /TypeError: Cannot read properties of undefined/);
    assert.match(e.feedback, /at solve \(program\.ts:3:\d+\)/);
  });

  test("a promise that never settles times out", async () => {
    const { ev } = evaluator({ timeoutMs: 1000 });
    const e = await ev.evaluate("export function solve() { return new Promise(() => {}); }", "train");
    assert.equal(e.status, "timeout");
  });

  test("process.exit(0) from the candidate is an error, not a success: there is no process", async () => {
    const { ev } = evaluator();
    const e = await ev.evaluate(`export function solve() { process.exit(0); }`, "train");
    assert.equal(e.status, "error");
    assert.equal(e.score, 0);
    assert.match(e.error ?? "", /ReferenceError: process is not defined/);
  });

  test("outputs with cycles or functions are per-output errors", async () => {
    const { ev } = evaluator();
    const code = `export function solve(xs: number[]) {
  if (xs.length < 10) { const o: any = { sum: 1 }; o.self = o; return o; }
  if (xs.length < 1000) return { sum: 1, explain: () => "trust me" };
  return { sum: xs.reduce((a, b) => a + b, 0) };
}`;
    const e = await ev.evaluate(code, "train");
    assert.equal(e.status, "error");
    assert.match(e.workloads[0]?.error ?? "", /circular/);
    assert.match(e.workloads[1]?.error ?? "", /function at key "explain"/);
    assert.equal(e.workloads[2]?.valid, true);
  });

  test("an output the task rejects is invalid, with the task's reason", async () => {
    const { ev } = evaluator();
    const e = await ev.evaluate(`export function solve() { return { total: 3 }; }`, "train");
    assert.equal(e.status, "invalid");
    assert.equal(e.score, 0);
    assert.match(e.error ?? "", /workload small: expected an object \{ sum: number \}/);
    assert.match(e.feedback, /^Invalid: 3 of 3 workloads failed; score 0\./);
  });

  test("a candidate that reports its own score or tampers with its realm gains nothing", async () => {
    const { ev } = evaluator();
    const code = `Math.abs = () => 0;
Math.max = () => Infinity;
export function solve() {
  return { sum: 0, score: 100, relError: 0, valid: true, metrics: { relError: 0 } };
}`;
    const e = await ev.evaluate(code, "train");
    assert.equal(e.status, "ok");
    assert.equal(e.score, 0);
    assert.equal(e.metrics.relError, 1);
  });

  test("console output shows in the feedback of a failed candidate", async () => {
    const { ev } = evaluator();
    const e = await ev.evaluate(
      `export function solve() { console.log("debug: about to fail"); throw new Error("nope"); }`,
      "train",
    );
    assert.equal(e.status, "error");
    assert.match(e.feedback, /Program output \(last lines\):\ndebug: about to fail/);
  });

  test("identical code is served from the cache without another sandbox run", async () => {
    const { ev, counting } = evaluator({ cacheSize: 100 });
    const first = await ev.evaluate(GOOD, "train");
    const second = await ev.evaluate(GOOD, "train");
    assert.equal(counting.runs, 1);
    assert.deepEqual(second, first);
    second.workloads.length = 0;
    assert.equal((await ev.evaluate(GOOD, "train")).workloads.length, 3, "cached evaluations are copies");
    await ev.evaluate(GOOD, "test");
    await ev.evaluate(`${GOOD}\n// a comment changes the hash\n`, "train");
    assert.equal(counting.runs, 3);
    assert.deepEqual(ev.stats, { hits: 2, misses: 3 });
  });

  test("concurrent requests for the same code share one run", async () => {
    const { ev, counting } = evaluator({ cacheSize: 100 });
    const [a, b] = await Promise.all([ev.evaluate(GOOD, "train"), ev.evaluate(GOOD, "train")]);
    assert.equal(counting.runs, 1);
    assert.deepEqual(a, b);
  });

  test("timeouts are not cached: the machine may have been busy", async () => {
    const { ev, counting } = evaluator({ cacheSize: 100, timeoutMs: 800 });
    const code = "export function solve() { while (true) {} }";
    await ev.evaluate(code, "train");
    await ev.evaluate(code, "train");
    assert.equal(counting.runs, 2);
  });

  test("the cache key covers task id, version, split and code", () => {
    const { ev } = evaluator();
    const other = new Evaluator({ ...task, version: "2" }, sandbox);
    assert.notEqual(ev.cacheKey(GOOD, "train"), ev.cacheKey(GOOD, "test"));
    assert.notEqual(ev.cacheKey(GOOD, "train"), other.cacheKey(GOOD, "train"));
    assert.notEqual(ev.cacheKey(GOOD, "train"), ev.cacheKey(`${GOOD} `, "train"));
  });

  test("limits: options override the task's, which override the defaults", () => {
    assert.deepEqual(new Evaluator(task, sandbox).limits, { timeoutMs: 20_000, memoryMb: 256 });
    assert.deepEqual(new Evaluator(task, sandbox, { memoryMb: 64 }).limits, {
      timeoutMs: 20_000,
      memoryMb: 64,
    });
    const bare: Task = { ...task };
    delete bare.limits;
    assert.deepEqual(new Evaluator(bare, sandbox).limits, { timeoutMs: 30_000, memoryMb: 512 });
  });

  test("a task's own feedback replaces the default lines", async () => {
    const custom: Task = { ...task, feedback: (results) => `custom: ${results.length} results` };
    const { ev } = evaluator({}, custom);
    const e = await ev.evaluate(GOOD, "train");
    assert.match(e.feedback, /\ncustom: 3 results$/);
  });

  describe("a bug in the task becomes an error evaluation naming the function", () => {
    const cases: Array<[string, (t: Task) => Task, RegExp]> = [
      [
        "check throws",
        (t) => ({
          ...t,
          check: () => {
            throw new Error("oops in check");
          },
        }),
        /task bug: task\.check failed on workload "small": oops in check/,
      ],
      [
        "check returns garbage",
        (t) => ({ ...t, check: () => ({ valid: true, metrics: { relError: Number.NaN } }) }),
        /task bug: task\.check failed on workload "small": returned: metrics\.relError must be a finite number/,
      ],
      [
        "aggregate throws",
        (t) => ({
          ...t,
          aggregate: () => {
            throw new TypeError("oops in aggregate");
          },
        }),
        /task bug: task\.aggregate failed: oops in aggregate/,
      ],
      [
        "aggregate returns a score out of range",
        (t) => ({ ...t, aggregate: () => ({ score: 140, metrics: {} }) }),
        /task bug: task\.aggregate failed: returned score 140/,
      ],
      [
        "workloads throws",
        (t) => ({
          ...t,
          workloads: () => {
            throw new Error("no data");
          },
        }),
        /task bug: task\.workloads\("train"\) failed: no data/,
      ],
    ];
    for (const [name, broken, pattern] of cases) {
      test(name, async () => {
        const { ev } = evaluator({ cacheSize: 100 }, broken(task));
        const e = await ev.evaluate(GOOD, "train");
        assert.equal(e.status, "error");
        assert.equal(e.score, 0);
        assert.match(e.error ?? "", pattern);
      });
    }
  });
});

describe("workload by workload", () => {
  test("each workload of an ok evaluation has its own score: the task's aggregate over it alone", async () => {
    const { ev } = evaluator();
    const e = await ev.evaluate(task.initialCode, "train");
    assert.equal(e.status, "ok");
    for (const w of e.workloads) {
      const alone = task.aggregate("train", [w], []).score;
      assert.equal(w.score, alone, w.workload);
    }
    assert.ok(new Set(e.workloads.map((w) => w.score)).size > 1, "the workloads score differently");
  });

  test("an evaluation on part of a split runs only those workloads, skips the cascade and is cached apart", async () => {
    const { ev, counting } = evaluator(
      { cacheSize: 10 },
      { ...task, stages: [{ name: "quick", workloads: ["small"], threshold: 50 }] },
    );
    assert.deepEqual(await ev.workloadIds("train"), ["small", "mixed", "large"]);
    const part = await ev.evaluate(task.initialCode, "train", ["large", "mixed"]);
    assert.equal(part.status, "ok");
    assert.deepEqual(
      part.workloads.map((w) => w.workload),
      ["mixed", "large"],
    );
    assert.deepEqual(
      part.stages.map((s) => s.name),
      ["full"],
    );
    assert.equal(counting.runs, 1);
    const whole = await ev.evaluate(task.initialCode, "train");
    assert.equal(whole.workloads.length, 3);
    assert.notEqual(
      ev.cacheKey(task.initialCode, "train", ["mixed"]),
      ev.cacheKey(task.initialCode, "train"),
    );
    await assert.rejects(
      ev.evaluate(task.initialCode, "train", ["nope"]),
      /the train split has no workload "nope"/,
    );
  });
});

describe("cascade stages (train split)", () => {
  const staged = (stages: Task["stages"]): Task => ({ ...task, stages });
  const quick = [{ name: "quick", workloads: ["small"], threshold: 50 }];

  test("a candidate above each threshold runs every stage, then the full split", async () => {
    const { ev, counting } = evaluator({}, staged(quick));
    const e = await ev.evaluate(GOOD, "train");
    assert.equal(e.status, "ok");
    assert.equal(e.score, 100);
    assert.deepEqual(
      e.stages.map((s) => [s.name, s.score, s.passed]),
      [
        ["quick", 100, true],
        ["full", 100, true],
      ],
    );
    // The quick stage's workload is not run twice.
    assert.equal(counting.runs, 2);
    assert.equal(e.workloads.length, 3);
  });

  test("a candidate below a threshold stops there, with that stage's score and a note", async () => {
    const { ev, counting } = evaluator({}, staged(quick));
    const e = await ev.evaluate(`export function solve() { return { sum: 0 }; }`, "train");
    assert.equal(e.status, "ok");
    assert.equal(e.score, 0);
    assert.deepEqual(e.stages, [{ name: "quick", score: 0, metrics: { relError: 1 }, passed: false }]);
    assert.deepEqual(
      e.workloads.map((w) => w.workload),
      ["small"],
    );
    assert.equal(counting.runs, 1);
    assert.match(e.feedback, /cascade stage "quick" over 1 of 3 workloads, below the 50 needed/);
  });

  test("a failure in a later stage keeps the earlier stages' results", async () => {
    const code = `export function solve(xs: number[]) {\n  if (xs.length > 1000) while (true) {}\n  return { sum: xs.reduce((a, b) => a + b, 0) };\n}`;
    const { ev } = evaluator({ timeoutMs: 1500 }, staged(quick));
    const e = await ev.evaluate(code, "train");
    assert.equal(e.status, "timeout");
    assert.deepEqual(
      e.stages.map((s) => [s.name, s.passed]),
      [
        ["quick", true],
        ["full", false],
      ],
    );
    assert.deepEqual(
      e.workloads.map((w) => [w.workload, w.valid]),
      [
        ["small", true],
        ["mixed", true],
        ["large", false],
      ],
    );
  });

  test("stages may select workloads with a filter; the test split and cascade: false run everything at once", async () => {
    const byFilter = staged([
      {
        name: "short",
        workloads: (w) => (w.input as { numbers: number[] }).numbers.length < 1000,
        threshold: 10,
      },
    ]);
    const { ev, counting } = evaluator({}, byFilter);
    const e = await ev.evaluate(task.initialCode, "train");
    assert.deepEqual(
      e.stages.map((s) => s.name),
      ["short", "full"],
    );
    const t = await ev.evaluate(task.initialCode, "test");
    assert.deepEqual(
      t.stages.map((s) => s.name),
      ["full"],
    );
    assert.equal(counting.runs, 3);
    const off = evaluator({ cascade: false }, byFilter);
    const all = await off.ev.evaluate(task.initialCode, "train");
    assert.deepEqual(
      all.stages.map((s) => s.name),
      ["full"],
    );
    assert.equal(off.counting.runs, 1);
    assert.notEqual(off.ev.cacheKey(GOOD, "train"), ev.cacheKey(GOOD, "train"));
  });

  test("a stage naming a workload the split lacks, or selecting none, is a task bug", async () => {
    const unknown = await evaluator(
      {},
      staged([{ name: "q", workloads: ["nope"], threshold: 0 }]),
    ).ev.evaluate(GOOD, "train");
    assert.match(
      unknown.error ?? "",
      /task bug: stage "q" names workload "nope", which the train split lacks/,
    );
    const none = await evaluator(
      {},
      staged([{ name: "q", workloads: () => false, threshold: 0 }]),
    ).ev.evaluate(GOOD, "train");
    assert.match(none.error ?? "", /task bug: stage "q" selects no workloads/);
  });
});

describe("persistent cache", () => {
  test("evaluations survive a restart through a FileEvaluationCache", async () => {
    const dir = mkdtempSync(join(tmpdir(), "adrs-cache-"));
    try {
      const first = evaluator({ cacheSize: 100, cache: new FileEvaluationCache(dir) });
      const a = await first.ev.evaluate(GOOD, "train");
      assert.equal(first.counting.runs, 1);
      // A new process: an empty in-memory cache, the same folder.
      const second = evaluator({ cacheSize: 100, cache: new FileEvaluationCache(dir) });
      const b = await second.ev.evaluate(GOOD, "train");
      assert.equal(second.counting.runs, 0);
      assert.deepEqual(b, a);
      assert.deepEqual(second.ev.stats, { hits: 1, misses: 0 });
      // Another memory limit is another key.
      const third = evaluator({ cacheSize: 100, memoryMb: 128, cache: new FileEvaluationCache(dir) });
      await third.ev.evaluate(GOOD, "train");
      assert.equal(third.counting.runs, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("timeouts are not stored; a broken or failing backend only costs a re-run", async () => {
    const stored = new Map<string, Evaluation>();
    const backend: EvaluationCache = {
      get: (k) => stored.get(k),
      set: (k, e) => {
        stored.set(k, e);
      },
    };
    const { ev } = evaluator({ cacheSize: 0, cache: backend, timeoutMs: 800 });
    await ev.evaluate("export function solve() { while (true) {} }", "train");
    assert.equal(stored.size, 0);
    const failing: EvaluationCache = {
      get: () => {
        throw new Error("disk gone");
      },
      set: () => Promise.reject(new Error("disk gone")),
    };
    const f = evaluator({ cache: failing });
    assert.equal((await f.ev.evaluate(GOOD, "train")).score, 100);
    const garbage: EvaluationCache = {
      get: () => ({ nonsense: true }) as unknown as Evaluation,
      set: () => undefined,
    };
    const g = evaluator({ cache: garbage });
    assert.equal((await g.ev.evaluate(GOOD, "train")).score, 100);
    assert.equal(g.counting.runs, 1);
  });
});

test("check receives the call's duration and CPU time, measured by the sandbox", async () => {
  const seen: RunInfo[] = [];
  const timed: Task = {
    ...task,
    check: (w, output, run) => {
      if (run) seen.push(run);
      return (task.check as NonNullable<Task["check"]>)(w, output, run);
    },
  };
  const { ev, counting } = evaluator({}, timed);
  await ev.evaluate(GOOD, "train");
  assert.equal(seen.length, 3);
  // What check is told is the sandbox's own measure of each call, in workload order.
  const outputs = counting.results[0]?.outputs ?? [];
  assert.deepEqual(
    seen.map((r) => [r.durationMs, r.cpuMs]),
    outputs.map((o) => [o.durationMs, o.cpuMs]),
  );
  for (const r of seen) assert.ok(Number.isFinite(r.cpuMs) && (r.cpuMs ?? -1) >= 0, String(r.cpuMs));
});
