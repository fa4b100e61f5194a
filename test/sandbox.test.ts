import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { SandboxJob, SandboxResult } from "../src/sandbox/index.ts";
import { bundleCandidate, mapScriptLocations, ProcessSandbox } from "../src/sandbox/index.ts";

const taskDir = join(import.meta.dirname, "fixtures", "sum-task");
const driverPath = join(taskDir, "driver.ts");

/** A raw sandbox script: `body` is the text of `run(input)`. */
function script(body: string, prelude = ""): string {
  return `${prelude}\nglobalThis.__adrs = { run: (input) => { ${body} } };`;
}

/** Each output's value, or its error text. */
function values(r: SandboxResult): unknown[] {
  return r.outputs.map((o) => (o.ok ? o.value : o.error));
}

function job(s: string, inputs: unknown[] = [1], extra: Partial<SandboxJob> = {}): SandboxJob {
  return { script: s, inputs, timeoutMs: 15_000, memoryMb: 128, ...extra };
}

describe("bundleCandidate", () => {
  test("bundles the candidate, its helper imports and the driver into one script", async () => {
    const code = `import { compensatedSum } from "./api.ts";\nexport function solve(xs: number[]) { return { sum: compensatedSum(xs) }; }`;
    const r = await bundleCandidate({ code, taskDir, driverPath });
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.match(r.script, /globalThis\.__adrs/);
    assert.match(r.script, /compensatedSum/);
    assert.ok(JSON.parse(r.sourceMap).sources.length > 0);
  });

  test("a syntax error names program.ts:line:column", async () => {
    const code = "export function solve(xs: number[]) {\n  const y = ;\n  return { sum: 0 };\n}\n";
    const r = await bundleCandidate({ code, taskDir, driverPath });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.error, /^program\.ts:2:13: Unexpected ";"/);
  });

  test("the file name in errors can be chosen", async () => {
    const r = await bundleCandidate({ code: "let x = ;", taskDir, driverPath, sourcefile: "policy.ts" });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /^policy\.ts:1:9:/);
  });

  test("Node built-ins do not resolve, with a message a model can act on", async () => {
    for (const spec of ["node:fs", "fs", "child_process", "node:fs/promises"]) {
      const code = `import * as m from "${spec}";\nexport const x = m;\n`;
      const r = await bundleCandidate({ code, taskDir, driverPath });
      assert.equal(r.ok, false, spec);
      if (!r.ok)
        assert.match(
          r.error,
          new RegExp(`program\\.ts:1:20: Cannot import "${spec}": Node built-in modules`),
        );
    }
  });

  test("the candidate can import only the task's own helper modules", async () => {
    const cases: Array<[string, RegExp]> = [
      ["zod", /only the task's helper modules/],
      ["./task.ts", /trusted code/],
      ["../../../src/core/score.ts", /directly in the task folder/],
      ["./spec.md", /TypeScript or JavaScript modules/],
      ["./missing.ts", /Could not resolve/],
    ];
    for (const [spec, pattern] of cases) {
      const r = await bundleCandidate({
        code: `import x from "${spec}";\nexport const y = x;`,
        taskDir,
        driverPath,
      });
      assert.equal(r.ok, false, spec);
      if (!r.ok) assert.match(r.error, pattern, spec);
    }
  });

  test("top-level await is a compile error, not a hang", async () => {
    const r = await bundleCandidate({ code: "export const x = await 1;", taskDir, driverPath });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /Top-level await/);
  });
});

describe("ProcessSandbox", () => {
  const sandbox = new ProcessSandbox({ concurrency: 2 });
  after(() => sandbox.close());

  test("runs each input and returns JSON outputs with durations", async () => {
    const r = await sandbox.run(job(script("return { doubled: input * 2 };"), [1, 2, 3]));
    assert.equal(r.status, "ok");
    assert.deepEqual(
      r.outputs.map((o) => (o.ok ? o.value : o.error)),
      [{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }],
    );
    // Each call's own duration, not a timestamp or the job's: together they fit inside the job's.
    for (const o of r.outputs)
      assert.ok(Number.isFinite(o.durationMs) && o.durationMs >= 0, String(o.durationMs));
    const calls = r.outputs.reduce((sum, o) => sum + o.durationMs, 0);
    assert.ok(calls <= r.durationMs, `${calls} ms of calls in a job of ${r.durationMs} ms`);
  });

  test("awaits promises returned by the driver", async () => {
    const body =
      "return (async () => { await null; if (input < 0) throw new Error('negative'); return input + 1; })();";
    const r = await sandbox.run(job(script(body), [41, -1]));
    assert.equal(r.status, "ok");
    assert.equal(values(r)[0], 42);
    assert.match(String(values(r)[1]), /^Error: negative/);
  });

  test("an exception in one call fails only that output, including a thrown non-Error", async () => {
    const body = `if (input === 1) throw new RangeError("bad one"); if (input === 2) throw "just a string"; if (input === 3) throw { code: 7 }; return input;`;
    const r = await sandbox.run(job(script(body), [0, 1, 2, 3, 4]));
    assert.equal(r.status, "ok");
    const [a, b, c, d, e] = r.outputs;
    assert.deepEqual([a?.ok, e?.ok], [true, true]);
    assert.ok(b && !b.ok && /^RangeError: bad one/.test(b.error));
    assert.ok(c && !c.ok && c.error === 'threw a non-Error value: "just a string"');
    assert.ok(d && !d.ok && d.error === 'threw a non-Error value: {"code":7}');
  });

  test("outputs that JSON cannot carry become per-output errors", async () => {
    const body = `
      if (input === "cycle") { const o = { a: 1 }; o.self = o; return o; }
      if (input === "fn") return { a: 1, f: () => 1 };
      if (input === "bigint") return { n: 10n };
      if (input === "nan") return [1, NaN];
      if (input === "map") return new Map();
      if (input === "undefined") return undefined;
      if (input === "typed") return new Float64Array([1.5, 2]);
      return "fine";`;
    const inputs = ["cycle", "fn", "bigint", "nan", "map", "undefined", "typed", "plain"];
    const r = await sandbox.run(job(script(body), inputs));
    assert.equal(r.status, "ok");
    const errors = r.outputs.map((o) => (o.ok ? null : o.error));
    assert.match(errors[0] ?? "", /circular/);
    assert.match(errors[1] ?? "", /a function at key "f"/);
    assert.match(errors[2] ?? "", /BigInt at key "n"/);
    assert.match(errors[3] ?? "", /NaN/);
    assert.match(errors[4] ?? "", /Map/);
    assert.match(errors[5] ?? "", /returned undefined/);
    assert.deepEqual(values(r).slice(6), [[1.5, 2], "fine"]);
  });

  test("a large output with multi-byte characters arrives intact", async () => {
    const r = await sandbox.run(job(script(`return { text: "é🙂".repeat(input) };`), [500_000]));
    assert.equal(r.status, "ok");
    const out = r.outputs[0];
    assert.ok(out?.ok);
    if (out?.ok) assert.equal((out.value as { text: string }).text, "é🙂".repeat(500_000));
  });

  test("output size is capped with a clear error", async () => {
    const small = new ProcessSandbox({ maxOutputBytes: 1000 });
    try {
      const r = await small.run(job(script(`return "x".repeat(input);`), [10, 5000, 10]));
      assert.equal(r.status, "ok");
      assert.equal(r.outputs[0]?.ok, true);
      assert.ok(r.outputs[1] && !r.outputs[1].ok && /output too large/.test(r.outputs[1].error));
      assert.equal(r.outputs[2]?.ok, true);
    } finally {
      await small.close();
    }
  });

  test("an endless loop times out and the host carries on", async () => {
    const r = await sandbox.run(job(script("while (true) {}"), [1], { timeoutMs: 800 }));
    assert.equal(r.status, "timeout");
    assert.match(r.error ?? "", /timed out after 800 ms/);
    const again = await sandbox.run(job(script("return input;"), [5]));
    assert.equal(again.status, "ok");
  });

  test("a promise that never settles times out", async () => {
    const r = await sandbox.run(job(script("return new Promise(() => {});"), [1], { timeoutMs: 800 }));
    assert.equal(r.status, "timeout");
  });

  test("a memory bomb crashes the child, naming the heap limit", async () => {
    const body = "const a = []; while (true) a.push(new Array(1e5).fill(1.5));";
    const r = await sandbox.run(job(script(body), [1], { memoryMb: 64 }));
    assert.equal(r.status, "crash");
    assert.match(r.error ?? "", /heap limit of 64 MB exceeded/);
    assert.doesNotMatch(r.log, /Last few GCs/);
  });

  test("the realm holds no host objects: process, require, timers, fetch and WebAssembly are absent", async () => {
    const names = ["process", "require", "module", "setTimeout", "setInterval", "setImmediate", "fetch"];
    const body = `const present = ${JSON.stringify([...names, "WebAssembly", "Buffer", "SharedArrayBuffer"])}.filter((n) => n in globalThis);
      let escape; try { escape = typeof this.constructor.constructor("return process")(); } catch (e) { escape = e.name; }
      return { present, escape };`;
    const r = await sandbox.run(job(script(body)));
    assert.equal(r.status, "ok");
    assert.deepEqual(values(r)[0], { present: ["SharedArrayBuffer"], escape: "ReferenceError" });
    const exit = await sandbox.run(job(script("process.exit(0);"), [1, 2]));
    assert.equal(exit.status, "ok");
    assert.match(String(values(exit)[1]), /^ReferenceError: process is not defined/);
  });

  test("a top-level error is a load error", async () => {
    const r = await sandbox.run(job(`throw new Error("broken at load");`));
    assert.equal(r.status, "error");
    assert.match(r.error ?? "", /failed to load: Error: broken at load/);
    const none = await sandbox.run(job("globalThis.x = 1;"));
    assert.equal(none.status, "error");
    assert.match(none.error ?? "", /did not define __adrs\.run/);
  });

  test("the realm offers structuredClone and queueMicrotask, in plain JavaScript", async () => {
    const body = `const m = new Map([[1, { a: [1, 2] }]]); const c = structuredClone({ m, d: new Date(5), t: new Float64Array([1.5]) });
      c.m.get(1).a.push(3);
      return new Promise((ok) => queueMicrotask(() => ok([m.get(1).a.length, c.m.get(1).a.length, c.d.getTime(), c.t[0]])));`;
    const r = await sandbox.run(job(script(body)));
    assert.equal(r.status, "ok", r.error);
    assert.deepEqual(values(r)[0], [2, 3, 5, 1.5]);
  });

  test("a rejection nobody handles is an error naming the input", async () => {
    const body = `if (input === 1) Promise.reject(new Error("late")); return input;`;
    const r = await sandbox.run(job(script(body), [0, 1, 2]));
    assert.equal(r.status, "error");
    assert.match(r.error ?? "", /while running input 1: Error: late/);
    assert.equal(r.outputs.length, 1);
  });

  test("console output goes to the log and cannot forge protocol messages", async () => {
    const body = `console.log('{"t":"done"}'); console.error("warn", input); return input;`;
    const r = await sandbox.run(job(script(body, `console.log("loaded");`), [1, 2]));
    assert.equal(r.status, "ok");
    assert.equal(r.outputs.length, 2);
    assert.match(r.log, /loaded/);
    assert.match(r.log, /warn 2/);
  });

  test("the log keeps only the tail", async () => {
    const r = await sandbox.run(
      job(script(`for (let i = 0; i < 5000; i++) console.log("line " + i); return 1;`)),
    );
    assert.ok(r.log.length <= 4096);
    assert.match(r.log, /line 4999/);
  });

  test("the child does not inherit the engine's environment", async () => {
    process.env.ADRS_TEST_SECRET = "do-not-leak";
    try {
      const r = await sandbox.run(job(script("return Object.keys(process.env);")));
      assert.equal(r.status, "ok");
      const keys = r.outputs[0]?.ok ? (r.outputs[0].value as string[]) : [];
      assert.ok(!keys.includes("ADRS_TEST_SECRET"));
    } finally {
      delete process.env.ADRS_TEST_SECRET;
    }
  });

  test("jobs beyond the concurrency limit wait their turn", async () => {
    // Jobs handed to a process and not yet over, as the sandbox reports them.
    let running = 0;
    let most = 0;
    const two = new ProcessSandbox({
      concurrency: 2,
      log: () => undefined,
      onJob: (event) => {
        running += event === "start" ? 1 : -1;
        most = Math.max(most, running);
      },
    });
    try {
      // Each job keeps its process busy for a while, so jobs let through together would overlap.
      const busy = script("const until = Date.now() + 200; while (Date.now() < until) {} return input * 10;");
      const results = await Promise.all([1, 2, 3, 4, 5].map((i) => two.run(job(busy, [i]))));
      assert.deepEqual(
        results.map((r) => r.outputs[0]?.ok && r.outputs[0].value),
        [10, 20, 30, 40, 50],
      );
      assert.ok(most <= 2, `${most} jobs ran at once with a limit of 2`);
      assert.equal(running, 0);
    } finally {
      await two.close();
    }
  });

  test("close() kills a running child and rejects its job", async () => {
    let started!: () => void;
    const handedOver = new Promise<void>((resolve) => {
      started = resolve;
    });
    const s = new ProcessSandbox({ log: () => undefined, onJob: (event) => event === "start" && started() });
    const running = s.run(job(script("while (true) {}"), [1], { timeoutMs: 60_000 }));
    const rejected = assert.rejects(running, /closed while the job was running/);
    // The job is in its child process (not waiting in line) when the sandbox closes.
    await handedOver;
    await s.close();
    await rejected;
    await assert.rejects(s.run(job(script("return 1;"))), /closed/);
  });

  test("a CPU-time limit below the wall clock ends a spinning job, naming the limit", async () => {
    const r = await sandbox.run(job(script("while (true) {}"), [1], { timeoutMs: 10_000, cpuMs: 400 }));
    assert.equal(r.status, "timeout");
    assert.equal(r.error, "CPU time limit of 400 ms exceeded");
  });

  test("durations come from outside the realm, whatever the candidate does to its clocks", async () => {
    const body =
      "const until = real() + 40; while (real() < until) {} Date.now = () => 0; performance.now = () => 0; return 1;";
    const r = await sandbox.run(job(script(body, "const real = Date.now;"), [1, 2]));
    assert.equal(r.status, "ok");
    for (const o of r.outputs) {
      assert.ok(o.durationMs >= 35, String(o.durationMs));
      assert.ok((o.cpuMs ?? 0) > 0);
    }
  });

  test("work hidden in the output's toJSON or getters is timed with the call, not left to the encoding", async () => {
    // The same busy loop, once in the call and once where only encoding the output runs it.
    const spin = "let x = 0; for (let k = 0; k < 3e7; k++) x = (x + k) % 7; return x;";
    const plain = await sandbox.run(job(script("return [1];"), [1]));
    const planted = await sandbox.run(
      job(
        script(
          "return [{ a: 1 }, { get b() { return spin(); } }];",
          `function spin() { ${spin} }\nObject.prototype.toJSON = function () { spin(); return { ...this }; };`,
        ),
        [1],
      ),
    );
    assert.equal(planted.status, "ok", planted.error);
    const cpu = (r: SandboxResult) => r.outputs[0]?.cpuMs ?? 0;
    // Three loops of 3e7 steps against none: far apart on any machine, whatever its load.
    assert.ok(
      cpu(planted) > 20 * Math.max(cpu(plain), 1),
      `planted ${cpu(planted)} ms, plain ${cpu(plain)} ms`,
    );
  });

  test("work queued as microtasks or done after an await is timed with the call", async () => {
    // A plain return is one apply and a promise is awaited in a second one: neither may let
    // work run after the call's timing ends.
    const spin = "let x = 0; for (let k = 0; k < 3e7; k++) x = (x + k) % 7; return x;";
    const plain = await sandbox.run(job(script("return 1;"), [1]));
    const queued = await sandbox.run(
      job(script("queueMicrotask(spin); Promise.resolve().then(spin); return 1;", `function spin() { ${spin} }`), [1]),
    );
    const awaited = await sandbox.run(
      job(script("return (async () => { await null; spin(); await null; spin(); return 2; })();", `function spin() { ${spin} }`), [1]),
    );
    const cpu = (r: SandboxResult) => r.outputs[0]?.cpuMs ?? 0;
    for (const [name, r] of [["queued", queued], ["awaited", awaited]] as const) {
      assert.equal(r.status, "ok", r.error);
      assert.ok(r.outputs[0]?.ok, name);
      // Two loops of 3e7 steps against none: far apart on any machine, whatever its load.
      assert.ok(cpu(r) > 20 * Math.max(cpu(plain), 1), `${name} ${cpu(r)} ms, plain ${cpu(plain)} ms`);
    }
  });

  test("the protection in force is exposed once known", async () => {
    const p = await sandbox.ready();
    assert.equal(sandbox.protection, p);
    assert.ok(["bwrap", "permission"].includes(p.kind), p.kind);
    assert.match(p.summary, /isolated-vm/);
  });

  test("the fallback, Node's permission model, runs jobs too, and says so once", async () => {
    const lines: string[] = [];
    const s = new ProcessSandbox({ protection: "permission", warm: 0, log: (l) => lines.push(l) });
    try {
      const r = await s.run(job(script("return input * 3;"), [1, 2]));
      assert.equal(r.status, "ok", r.error);
      assert.deepEqual(values(r), [3, 6]);
      assert.equal(s.protection?.kind, "permission");
      await s.run(job(script("return 1;")));
      assert.ok(lines.length <= 1, "one line, at most, per process");
    } finally {
      await s.close();
    }
  });

  test("stack frames map back to the candidate's source", async () => {
    const code = `export function solve(xs: number[]) {\n  const o: any = null;\n  return o.sum;\n}\n`;
    const b = await bundleCandidate({ code, taskDir, driverPath });
    assert.ok(b.ok);
    if (!b.ok) return;
    const r = await sandbox.run(job(b.script, [{ numbers: [1] }]));
    const out = r.outputs[0];
    assert.ok(out && !out.ok);
    if (!out || out.ok) return;
    const mapped = mapScriptLocations(out.error, b.sourceMap);
    assert.match(mapped, /^TypeError: Cannot read properties of null/);
    assert.match(mapped, /at solve \(program\.ts:3:12\)/);
    assert.match(mapped, /driver\.ts:\d+:\d+/);
    assert.doesNotMatch(mapped, /candidate\.js|\(entry\)/);
  });
});
