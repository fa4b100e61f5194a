/**
 * The sandbox's host-call channel (SandboxJob.host): a function on the isolate's
 * global object whose string requests a handler in the parent answers. Only
 * strings cross; nothing else of the parent reaches the realm.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { HostChannel, SandboxJob, SandboxResult } from "../src/sandbox/index.ts";
import { ProcessSandbox } from "../src/sandbox/index.ts";

/** A raw sandbox script whose driver is `async run(input) { body }`. */
function script(body: string): string {
  return `globalThis.__adrs = { run: async (input) => { ${body} } };`;
}

function values(r: SandboxResult): unknown[] {
  return r.outputs.map((o) => (o.ok ? o.value : o.error));
}

function hostJob(
  body: string,
  host: Partial<HostChannel>,
  inputs: unknown[] = [1],
  extra: Partial<SandboxJob> = {},
) {
  return {
    script: script(body),
    inputs,
    timeoutMs: 15_000,
    memoryMb: 128,
    host: { global: "__host", maxCalls: 10, call: async (r: string) => `echo:${r}`, ...host },
    ...extra,
  } satisfies SandboxJob;
}

describe("the host-call channel", () => {
  const sandbox = new ProcessSandbox({ concurrency: 2, warm: 1, protection: "auto", log: () => {} });
  after(() => sandbox.close());

  test("a call crosses to the handler with its input's index, and the answer resolves in the realm", async () => {
    const seen: Array<[string, number]> = [];
    const r = await sandbox.run(
      hostJob(
        'const a = await __host("q" + input); const b = await __host(a); return [a, b];',
        {
          call: async (request, input) => {
            seen.push([request, input]);
            return `<${request}>`;
          },
        },
        [1, 2],
      ),
    );
    assert.equal(r.status, "ok", r.error);
    assert.deepEqual(values(r), [
      ["<q1>", "<<q1>>"],
      ["<q2>", "<<q2>>"],
    ]);
    assert.deepEqual(seen, [
      ["q1", 0],
      ["<q1>", 0],
      ["q2", 1],
      ["<q2>", 1],
    ]);
  });

  test("answers may come back in any order; calls in parallel each get their own", async () => {
    const r = await sandbox.run(
      hostJob('return await Promise.all(["a", "b", "c"].map((x) => __host(x)));', {
        call: (request) =>
          new Promise((resolve) =>
            setTimeout(() => resolve(request.toUpperCase()), request === "a" ? 40 : 0),
          ),
      }),
    );
    assert.equal(r.status, "ok", r.error);
    assert.deepEqual(values(r), [["A", "B", "C"]]);
  });

  test("a handler's rejection (or throw) is an Error in the realm with its message; the parent carries on", async () => {
    const r = await sandbox.run(
      hostJob(
        'try { await __host("x"); return "no"; } catch (e) { return [e instanceof Error, e.message]; }',
        {
          call: () => {
            throw new Error("refused: limit reached");
          },
        },
      ),
    );
    assert.equal(r.status, "ok", r.error);
    assert.deepEqual(values(r), [[true, "refused: limit reached"]]);
  });

  test("requests that are not strings, too long, or over the job's count are refused in the realm, before crossing", async () => {
    let crossed = 0;
    const body = `
      const out = [];
      for (const req of [42, "x".repeat(101), "ok1", "ok2", "ok3"]) {
        try { out.push(await __host(req)); } catch (e) { out.push(e.constructor.name + ": " + e.message); }
      }
      return out;`;
    const r = await sandbox.run(
      hostJob(body, {
        maxCalls: 2,
        maxRequestChars: 100,
        call: async (req) => {
          crossed++;
          return req;
        },
      }),
    );
    assert.equal(r.status, "ok", r.error);
    const [out] = values(r) as string[][];
    assert.match(out![0]!, /^TypeError: __host: the request must be a string/);
    assert.match(out![1]!, /^RangeError: __host: a request of 101 characters is over the limit of 100/);
    assert.deepEqual(out!.slice(2, 4), ["ok1", "ok2"]);
    assert.match(out![4]!, /^RangeError: __host: the limit of 2 calls in this job is spent/);
    assert.equal(crossed, 2);
  });

  test("a candidate spamming calls it keeps catching is refused in the realm and ends by its own clock", async () => {
    let crossed = 0;
    const r = await sandbox.run(
      hostJob(
        "for (;;) { try { await __host('x'); } catch {} }",
        {
          maxCalls: 5,
          call: async () => {
            crossed++;
            return "y";
          },
        },
        [1],
        { timeoutMs: 1500 },
      ),
    );
    assert.equal(r.status, "timeout");
    assert.equal(crossed, 5);
  });

  test("the wall clock runs while a call waits: a handler that never answers times the job out", async () => {
    const r = await sandbox.run(
      hostJob('return await __host("x");', { call: () => new Promise<string>(() => {}) }, [1], {
        timeoutMs: 800,
      }),
    );
    assert.equal(r.status, "timeout");
    assert.match(r.error ?? "", /timed out after 800 ms \(wall clock\)/);
  });

  test("waiting does not count against the CPU limit", async () => {
    const r = await sandbox.run(
      hostJob(
        'return await __host("x");',
        { call: () => new Promise((ok) => setTimeout(() => ok("late"), 600)) },
        [1],
        {
          timeoutMs: 10_000,
          cpuMs: 300,
        },
      ),
    );
    assert.equal(r.status, "ok", r.error);
    assert.deepEqual(values(r), ["late"]);
  });

  test("without the channel the global does not exist; with it, it is the one global added", async () => {
    const body = "return [typeof __host, typeof __adrsModel, Object.getOwnPropertyNames(globalThis).sort()];";
    const without = await sandbox.run({
      script: script(body),
      inputs: [1],
      timeoutMs: 15_000,
      memoryMb: 128,
    });
    const withIt = await sandbox.run(hostJob(body, {}));
    assert.equal(without.status, "ok", without.error);
    assert.equal(withIt.status, "ok", withIt.error);
    const [a] = values(without) as [string, string, string[]][];
    const [b] = values(withIt) as [string, string, string[]][];
    assert.deepEqual(a!.slice(0, 2), ["undefined", "undefined"]);
    assert.deepEqual(b!.slice(0, 2), ["function", "undefined"]);
    // The collector's global has a random name per child: compare the rest.
    const plain = (names: string[]) => names.filter((n) => !n.startsWith("__gc_"));
    assert.deepEqual(
      plain(b![2]).filter((n) => !plain(a![2]).includes(n)),
      ["__host"],
    );
    assert.deepEqual(
      plain(a![2]).filter((n) => !plain(b![2]).includes(n)),
      [],
    );
  });

  test("the channel's function cannot be replaced, and it passes only strings", async () => {
    const r = await sandbox.run(
      hostJob(
        'try { globalThis.__host = () => "forged"; } catch {} const d = Object.getOwnPropertyDescriptor(globalThis, "__host"); return [await __host("a"), d.writable, d.configurable];',
        {},
      ),
    );
    assert.equal(r.status, "ok", r.error);
    assert.deepEqual(values(r), [["echo:a", false, false]]);
  });

  test("a call made while the script loads carries input -1", async () => {
    const inputs: number[] = [];
    const r = await sandbox.run({
      script: `const early = __host("load"); globalThis.__adrs = { run: async () => await early };`,
      inputs: [1],
      timeoutMs: 15_000,
      memoryMb: 128,
      host: {
        global: "__host",
        maxCalls: 1,
        call: async (req, input) => {
          inputs.push(input);
          return req;
        },
      },
    });
    assert.equal(r.status, "ok", r.error);
    assert.deepEqual(values(r), ["load"]);
    assert.deepEqual(inputs, [-1]);
  });

  test("a malformed channel is the caller's error, not the candidate's", async () => {
    await assert.rejects(
      sandbox.run(hostJob("return 1;", { global: "not an identifier" })),
      /host\.global must be an identifier/,
    );
  });
});
