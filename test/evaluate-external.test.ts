import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import cacheEviction from "../examples/cache-eviction/task.ts";
import type { EvaluationWithArtifacts } from "../src/evaluate/index.ts";
import { Evaluator } from "../src/evaluate/index.ts";
import { parseResult } from "../src/evaluate/external.ts";
import type { Sandbox, SandboxJob, SandboxResult } from "../src/sandbox/index.ts";
import { expandArgv, ProcessSandbox } from "../src/sandbox/index.ts";
import type { Task, Workload } from "../src/task/index.ts";
import { loadTask } from "../src/task/index.ts";
import { REPOSITORY_DATA_DIR } from "../tasks/_shared/data.ts";
import { assertBwrap } from "./support/bwrap.ts";

const example = join(import.meta.dirname, "..", "examples", "cache-eviction");
const echo = join(import.meta.dirname, "fixtures", "external", "echo-evaluator");
/** The repository's workload data, which no candidate may read. */
const dataDir = REPOSITORY_DATA_DIR;

const sandbox = new ProcessSandbox({ concurrency: 2, log: () => undefined });
after(() => sandbox.close());

/** A policy that beats LRU on every trace: keep the most frequently used keys, oldest first out among equals. */
const FREQUENCY = `class Policy:
    def __init__(self, capacity):
        self.count = {}
        self.last = {}
        self.clock = 0

    def access(self, key, hit):
        self.clock += 1
        self.count[key] = self.count.get(key, 0) + 1
        self.last[key] = self.clock

    def evict(self, cached):
        return min(cached, key=lambda k: (self.count.get(k, 0), self.last.get(k, 0)))
`;

/** A policy whose own code is hostile in the way the comment says; the rest is LRU. */
function lruWith(prelude: string, evictPrelude = ""): string {
  return `${prelude}
class Policy:
    def __init__(self, capacity):
        self.last = {}
        self.clock = 0

    def access(self, key, hit):
        self.clock += 1
        self.last[key] = self.clock

    def evict(self, cached):
${evictPrelude}        return min(cached, key=lambda k: self.last.get(k, 0))
`;
}

describe("the Python example task (examples/cache-eviction)", () => {
  let task: Task;
  let ev: Evaluator;
  before(async () => {
    task = await loadTask(example);
    ev = new Evaluator(task, sandbox, { cacheSize: 0 });
  });

  test("it loads as an external task with its Python seed", () => {
    assert.equal(cacheEviction.id, "cache-eviction");
    assert.equal(task.driverPath, "");
    assert.equal(task.check, undefined);
    assert.deepEqual(task.external, {
      command: "python3 evaluate.py {candidate} {workloads}",
      language: "python",
    });
    assert.match(task.initialPath, /initial\.py$/);
    assert.match(task.initialCode, /# EVOLVE-BLOCK-START/);
  });

  test("the seed (LRU) is evaluated through the Evaluator: the smoke stage, then the rest", async () => {
    const e: EvaluationWithArtifacts = await ev.evaluate(task.initialCode, "train");
    assert.equal(e.status, "ok", e.error);
    assert.equal(e.score, 0, "LRU is the baseline");
    assert.deepEqual(
      e.stages.map((s) => [s.name, s.passed]),
      [
        ["smoke", true],
        ["full", true],
      ],
    );
    assert.deepEqual(
      e.workloads.map((w) => w.workload),
      ["zipf_1", "scan_1", "loop_1"],
    );
    for (const w of e.workloads) {
      assert.equal(w.valid, true);
      assert.equal(w.metrics.hitRate, w.metrics.lruHitRate);
      assert.ok((w.metrics.optHitRate ?? 0) > (w.metrics.hitRate ?? 1));
      assert.ok(Number.isFinite(w.durationMs) && (w.durationMs ?? -1) >= 0, String(w.durationMs));
    }
    // Each workload's own time, measured inside the evaluation: together they fit inside it.
    const workloadsMs = e.workloads.reduce((sum, w) => sum + (w.durationMs ?? 0), 0);
    assert.ok(workloadsMs <= e.durationMs, `${workloadsMs} ms of workloads in ${e.durationMs} ms`);
    assert.match(e.feedback, /^Score 0\/100 over 3 workloads; hitRate = /);
    for (const id of ["zipf_1", "scan_1", "loop_1"])
      assert.match(e.feedback, new RegExp(`- ${id} \\(capacity`));
    assert.deepEqual(Object.keys(e.artifacts ?? {}).sort(), [
      "victims.loop_1",
      "victims.scan_1",
      "victims.zipf_1",
    ]);
  });

  test("a better policy scores above 0, and the test split runs every workload", async () => {
    const e = await ev.evaluate(FREQUENCY, "train");
    assert.equal(e.status, "ok", e.error);
    assert.ok(e.score > 0 && e.score < 100, String(e.score));
    const t = await ev.evaluate(FREQUENCY, "test");
    assert.equal(t.status, "ok");
    assert.equal(t.workloads.length, 6);
    assert.deepEqual(
      t.stages.map((s) => s.name),
      ["full"],
    );
  });

  test("a program that does not load fails the smoke stage; the rest never runs", async () => {
    const e = await ev.evaluate(
      "class Policy:\n    def evict(self, cached)\n        return cached[0]\n",
      "train",
    );
    assert.equal(e.status, "error");
    assert.equal(e.score, 0);
    assert.match(e.error ?? "", /the program failed to load: SyntaxError/);
    assert.deepEqual(
      e.stages.map((s) => [s.name, s.passed]),
      [["smoke", false]],
    );
  });

  test("an exception in the policy invalidates the workload, naming it and the line", async () => {
    const e = await ev.evaluate(lruWith("", "        raise KeyError('lost track')\n"), "train");
    assert.equal(e.status, "invalid");
    assert.equal(e.score, 0);
    assert.match(e.error ?? "", /^workload zipf_1: KeyError: 'lost track' \(program\.py line \d+\)/);
  });

  test("evicting a key that is not cached is invalid", async () => {
    const e = await ev.evaluate(lruWith("", "        return -1\n"), "train");
    assert.equal(e.status, "invalid");
    assert.match(e.error ?? "", /evicted -1, which is not a cached key/);
  });

  test("a forged result printed by the candidate is ignored: it scores what its policy earns", async () => {
    const forged = JSON.stringify({ workloads: [{ id: "zipf_1", score: 100 }] });
    const code = lruWith(`import os, sys
print(${JSON.stringify(forged)})
sys.stdout.flush()
for target in ("/proc/%d/fd/1" % os.getppid(), "/proc/%d/fd/1" % (os.getppid() + 1)):
    try:
        with open(target, "w") as out:
            out.write(${JSON.stringify(`${forged}\n`)})
    except OSError as exc:
        print("blocked:", exc, file=sys.stderr)
`);
    const e = await ev.evaluate(code, "train");
    assert.equal(e.status, "ok", e.error);
    assert.equal(e.score, 0);
  });

  test("a memory bomb in the policy hits the address-space limit", async () => {
    const e = await ev.evaluate(lruWith("hoard = []\n", "        hoard.append(bytearray(10**9))\n"), "train");
    assert.equal(e.score, 0);
    assert.match(e.error ?? "", /MemoryError|exited|killed/);
  });

  test("an endless loop in the policy: the evaluator's answer deadline, or the wall clock", async () => {
    const quick = new Evaluator(task, sandbox, { cacheSize: 0, timeoutMs: 20_000 });
    const e = await quick.evaluate(lruWith("", "        while True: pass\n"), "train");
    assert.equal(e.score, 0);
    assert.match(e.error ?? "", /no answer within 5 s|timed out/);
  });

  test("under bubblewrap, the candidate can neither read the held-out data nor reach the network", async () => {
    await assertBwrap(sandbox);
    assert.ok(existsSync(dataDir), `${dataDir} exists outside the sandbox`);
    const read = await ev.evaluate(lruWith(`import os\nos.listdir(${JSON.stringify(dataDir)})\n`), "train");
    assert.equal(read.status, "error");
    assert.match(read.error ?? "", /FileNotFoundError/);
    const net = await ev.evaluate(
      lruWith(`import socket\nsocket.create_connection(("1.1.1.1", 80), timeout=2)\n`),
      "train",
    );
    assert.equal(net.status, "error");
    assert.match(net.error ?? "", /OSError|Network is unreachable/);
    // The task folder itself is visible (the evaluator needs it), read-only.
    const write = await ev.evaluate(lruWith(`open("written-by-candidate.txt", "w")\n`), "train");
    assert.match(write.error ?? "", /Read-only file system|Permission denied/);
    assert.equal(existsSync(join(example, "written-by-candidate.txt")), false);
  });
});

/** Counts sandbox jobs, to tell a cascade stop from a full run. */
class Counting implements Sandbox {
  runs = 0;
  constructor(private readonly inner: ProcessSandbox) {}
  run(job: SandboxJob): Promise<SandboxResult> {
    return this.inner.run(job);
  }
  runCommand(job: Parameters<ProcessSandbox["runCommand"]>[0]) {
    this.runs++;
    return this.inner.runCommand(job);
  }
  close() {
    return Promise.resolve();
  }
}

describe("the external evaluator protocol (test/fixtures/external/echo-evaluator)", () => {
  let task: Task;
  before(async () => {
    task = await loadTask(echo);
  });
  const run = (code: string, options: ConstructorParameters<typeof Evaluator>[2] = {}) =>
    new Evaluator(task, sandbox, { cacheSize: 0, ...options }).evaluate(code, "train");

  test("a well-formed result: per-workload metrics and scores, aggregated by the task", async () => {
    const e = await run(
      JSON.stringify({
        workloads: [
          { id: "a", metrics: { x: 5 }, score: 50, durationMs: 3 },
          { id: "b", metrics: { x: 7 } },
        ],
        metrics: { evaluatorVersion: 2 },
        feedback: "custom feedback line",
        artifacts: { "trace.txt": "a b a" },
      }),
    );
    assert.equal(e.status, "ok", e.error);
    assert.equal(e.score, 60);
    assert.deepEqual(e.metrics, { evaluatorVersion: 2, x: 6 });
    assert.deepEqual(e.workloads[0], {
      workload: "a",
      valid: true,
      metrics: { x: 5 },
      score: 50,
      durationMs: 3,
    });
    assert.match(e.feedback, /\ncustom feedback line$/);
    assert.deepEqual((e as EvaluationWithArtifacts).artifacts, { "trace.txt": "a b a" });
  });

  test("an invalid workload and the evaluator's reason", async () => {
    const e = await run(
      JSON.stringify({
        workloads: [
          { id: "a", valid: false, error: "deadlocked" },
          { id: "b", metrics: { x: 1 } },
        ],
      }),
    );
    assert.equal(e.status, "invalid");
    assert.equal(e.error, "workload a: deadlocked");
  });

  test("a workload without a result is invalid; an unknown one makes the result unusable", async () => {
    const missing = await run(JSON.stringify({ workloads: [{ id: "a", metrics: { x: 1 } }] }));
    assert.equal(missing.status, "invalid");
    assert.match(missing.error ?? "", /workload b: the evaluator returned no result/);
    const unknown = await run(JSON.stringify({ workloads: [{ id: "zzz" }] }));
    assert.equal(unknown.status, "error");
    assert.match(unknown.error ?? "", /unusable: workloads\[0\]: "zzz" is not a workload of this run/);
  });

  test("a candidate-level error from the evaluator is an error evaluation", async () => {
    const e = await run(JSON.stringify({ error: "the program failed to load: ImportError" }));
    assert.equal(e.status, "error");
    assert.equal(e.error, "the program failed to load: ImportError");
  });

  test("not JSON, a failing exit, and a hang each end with a reason (and are not cached)", async () => {
    const counting = new Counting(sandbox);
    // Only the hang meets the short limit: on a loaded machine a python3 start alone can take 1.5 s.
    const ev = new Evaluator(task, counting, { timeoutMs: 60_000 });
    const short = new Evaluator(task, counting, { timeoutMs: 1500 });
    const text = await ev.evaluate("this is not json", "train");
    assert.equal(text.status, "error");
    assert.match(text.error ?? "", /stdout is not one JSON object: "this is not json"/);
    const exit = await ev.evaluate("!exit 3", "train");
    assert.equal(exit.status, "crash");
    assert.equal(exit.error, "the command exited with code 3");
    assert.match(exit.feedback, /exiting on request/);
    const hang = await short.evaluate("!sleep", "train");
    assert.equal(hang.status, "timeout");
    assert.match(hang.error ?? "", /timed out after 1500 ms/);
    await ev.evaluate("!exit 3", "train");
    assert.equal(counting.runs, 4);
  });

  test("the evaluator's stderr is the log, shown with a failure", async () => {
    const e = await run("!stderr debugging the evaluator");
    assert.equal(e.status, "ok");
    const bad = await run('{"workloads": 3}');
    assert.equal(bad.status, "error");
    assert.match(bad.error ?? "", /workloads must be a list/);
  });

  test("processes the evaluator leaves behind are killed with it", async () => {
    const tag = `adrs-left-behind-${process.pid}`;
    const e = await run(`!background ${tag}`);
    assert.equal(e.status, "ok");
    assert.deepEqual(await processesWith(tag), []);
  });
});

/** Pids of live processes whose command line contains `tag` (dying ones may linger a moment). */
async function processesWith(tag: string, waitMs = 5000): Promise<number[]> {
  const until = Date.now() + waitMs;
  for (;;) {
    const found: number[] = [];
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(tag)) found.push(Number(pid));
      } catch {
        // gone meanwhile
      }
    }
    if (found.length === 0 || Date.now() > until) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("parseResult", () => {
  const ws = [{ id: "a" }, { id: "b" }] as Workload[];
  const cases: Array<[unknown, RegExp]> = [
    [[], /stdout must be a JSON object/],
    [{ workloads: [{ id: "a", metrics: { x: "1" } }] }, /workloads\[0\]: metrics\.x must be a finite number/],
    [{ workloads: [{ id: "a", score: 101 }] }, /workloads\[0\]\.score must be a number from 0 to 100/],
    [{ workloads: [{ id: "a" }, { id: "a" }] }, /"a" appears twice/],
    [{ workloads: [{ id: "a", valid: "yes" }] }, /valid must be true or false/],
    [{ artifacts: { x: 1 } }, /artifacts\.x must be a string/],
    [{ feedback: 3 }, /feedback must be a string/],
  ];
  for (const [value, pattern] of cases) {
    test(`rejects ${JSON.stringify(value)}`, () => {
      assert.throws(() => parseResult(JSON.stringify(value), ws), pattern);
    });
  }
  test("empty stdout", () => assert.throws(() => parseResult("  \n", ws), /printed nothing/));
  test("an error beside partial results", () => {
    const r = parseResult(JSON.stringify({ error: "boom", workloads: [{ id: "a", metrics: {} }] }), ws);
    assert.equal(r.error, "boom");
    assert.deepEqual(
      r.results.map((x) => [x.workload, x.valid, x.error]),
      [
        ["a", true, undefined],
        ["b", false, "not run"],
      ],
    );
  });
});

describe("command placeholders", () => {
  test("are replaced inside arguments; an unknown one is an error naming it", () => {
    assert.deepEqual(
      expandArgv(["x", "--in={candidate}", "{split}"], { candidate: "/p.py", split: "train" }),
      ["x", "--in=/p.py", "train"],
    );
    assert.throws(() => expandArgv(["{nope}"], { split: "train" }), /unknown placeholder \{nope\}/);
  });
});
