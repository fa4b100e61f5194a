/**
 * `adrs audit` (src/audit): programs with one planted weakness each, for
 * several tasks, are found and named; the same program against itself finds
 * nothing; the verdicts hold on a loaded machine (they read process CPU time,
 * fits over a 16x size range and margins a real blow-up clears by far), which
 * the synthetic cases below check without timing anything.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  type AuditReport,
  type AuditSplit,
  auditProgram,
  growthExponent,
  judge,
} from "../src/audit/index.ts";
import type { ProbeRun } from "../src/audit/measure.ts";
import type { AuditProbe } from "../src/audit/probes.ts";
import { ProcessSandbox } from "../src/sandbox/index.ts";
import { loadTask } from "../src/task/load.ts";

const planted = join(import.meta.dirname, "fixtures", "audit");
const sandbox = new ProcessSandbox({ concurrency: 2 });
after(() => sandbox.close());

async function audit(taskId: string, program: string | null, splits: AuditSplit[]): Promise<AuditReport> {
  const task = await loadTask(taskId);
  const code = program === null ? task.initialCode : readFileSync(join(planted, taskId, program), "utf8");
  return auditProgram({ task, sandbox, code, splits });
}

const classes = (r: AuditReport) => [...new Set(r.weaknesses.map((w) => w.class))].sort();

test("prism: a pairwise swap pass that the 16-model train cases hide is called slow, and nothing else", async () => {
  const r = await audit("prism", "blowup.ts", ["stress"]);
  assert.deepEqual(classes(r), ["slow"], r.summary);
  const slow = r.weaknesses.find((w) => w.class === "slow");
  assert.equal(slow?.where, "published");
  const g = r.growth.find((x) => x.family === "published");
  // Far past the margins: the slowdown grows with size, and the fit is steeper than the baseline's.
  assert.ok((g?.slowdown.largest ?? 0) > 4 * Math.max(1, g?.slowdown.smallest ?? 1), JSON.stringify(g));
  assert.ok((g?.time.program ?? 0) - (g?.time.baseline ?? 0) > 0.5, JSON.stringify(g));
  assert.equal(r.verdicts.slow, "fail");
  assert.match(r.summary, /1 weakness .*: slow/);
});

test("prism: a crash on a case without models is named with its probe and error", async () => {
  const r = await audit("prism", "crash-empty.ts", ["stress"]);
  assert.deepEqual(classes(r), ["crash"], r.summary);
  assert.deepEqual(
    r.weaknesses.map((w) => w.where),
    ["stress/no_models"],
  );
  assert.match(r.weaknesses[0]?.reason ?? "", /^error: TypeError: .*modelSize/);
  const probe = r.probes.find((p) => p.workload === "no_models");
  assert.equal(probe?.baseline.status, "ok");
  assert.equal(probe?.kind, "edge");
});

test("prism: a placement listed in random order is non-deterministic, though its score is the seed's", async () => {
  const r = await audit("prism", "nondeterministic.ts", ["stress"]);
  assert.deepEqual(classes(r), ["nondeterministic"], r.summary);
  // Every probe with more than one model on a GPU; the metric equals the baseline's everywhere.
  assert.ok(r.weaknesses.some((w) => w.where === "stress/published_x4"));
  for (const p of r.probes) {
    const [a, b] = [p.program.value as number, p.baseline.value as number];
    // Equal but for the order of a floating-point sum over each GPU's list.
    assert.ok(Math.abs(a - b) <= 1e-9 * Math.abs(b), `${p.workload}: ${a} against ${b}`);
  }
});

test("txn-scheduling: a log of tried schedules kept across calls is a memory leak", async () => {
  const r = await audit("txn-scheduling", "leak.ts", ["train"]);
  assert.deepEqual(classes(r), ["memory"], r.summary);
  const leak = r.weaknesses.find((w) => w.where.startsWith("leak/"));
  assert.ok(leak, JSON.stringify(r.weaknesses));
  assert.match(leak.reason, /a leak across calls/);
  const kept = r.leak?.program as number[];
  // The heap kept after a full collection grows on every call.
  for (let i = 2; i < kept.length; i++)
    assert.ok((kept[i] as number) > (kept[i - 1] as number), String(kept));
});

test("cant-be-late: a policy that throws when it never sees spot crashes on that probe", async () => {
  const r = await audit("cant-be-late", "crash-never-spot.ts", ["stress"]);
  assert.deepEqual(classes(r), ["crash"], r.summary);
  assert.deepEqual(
    r.weaknesses.map((w) => w.where),
    ["stress/never_spot"],
  );
  assert.match(r.weaknesses[0]?.reason ?? "", /RangeError: .*Invalid array length/);
});

test("a seed audited against itself finds no weakness; a failure it shares with itself is listed, not counted", async () => {
  for (const id of ["prism", "cant-be-late"]) {
    const r = await audit(id, null, ["stress"]);
    assert.deepEqual(r.weaknesses, [], `${id}: ${r.summary}`);
    assert.match(r.summary, /^no weakness found/);
  }
  const txn = await audit("txn-scheduling", null, ["stress"]);
  assert.deepEqual(txn.weaknesses, [], txn.summary);
  assert.deepEqual(
    txn.shared.map((s) => s.where),
    ["stress/empty"],
  );
});

test("a program that does not compile is a crash, and nothing runs", async () => {
  const task = await loadTask("prism");
  const r = await auditProgram({ task, sandbox, code: "export const = ;", splits: ["stress"] });
  assert.deepEqual(classes(r), ["crash"]);
  assert.equal(r.probes.length, 0);
  assert.ok(r.compileError);
});

// ---------------------------------------------------------------------------
// Verdicts on synthetic measurements: what noise must not flag, what a blow-up must.

test("growthExponent: 1 for linear, 2 for quadratic, floored values flatten", () => {
  const sizes = [1, 2, 4, 8, 16];
  assert.ok(
    Math.abs(
      (growthExponent(
        sizes.map((size) => ({ size, value: 3 * size })),
        0,
      ) ?? 0) - 1,
    ) < 1e-9,
  );
  assert.ok(
    Math.abs(
      (growthExponent(
        sizes.map((size) => ({ size, value: size * size })),
        0,
      ) ?? 0) - 2,
    ) < 1e-9,
  );
  assert.equal(
    growthExponent(
      sizes.map((size) => ({ size, value: 0.1 * size })),
      5,
    ),
    0,
  );
  assert.equal(growthExponent([{ size: 4, value: 1 }], 0), null);
});

function scaled(cpu: (size: number) => number, peak: (size: number) => number = () => 4e6) {
  const sizes = [100, 200, 400, 800, 1600];
  const probes: AuditProbe[] = sizes.map((size) => ({
    workload: { id: `x${size}`, split: "stress", input: null },
    split: "stress",
    probe: { kind: "scale", family: "f", what: "", size },
  }));
  const runs: ProbeRun[] = sizes.map((size) => ({
    status: "ok",
    value: 1,
    metrics: { m: 1 },
    cpuMs: cpu(size),
    peakBytes: peak(size),
    deterministic: true,
  }));
  return { probes, runs };
}

const minimize = { id: "t", metric: { name: "m", direction: "minimize" } } as Parameters<typeof judge>[0];

test("judge: the same program with twice the CPU time at the largest size (noise) is not slow", () => {
  const base = scaled((n) => n / 4);
  const noisy = scaled((n) => (n === 1600 ? n / 2 : n / 4));
  const r = judge(minimize, base.probes, noisy.runs, base.runs, null);
  assert.deepEqual(r.weaknesses, []);
});

test("judge: quadratic against linear is slow; a constant factor is not", () => {
  const base = scaled((n) => n / 4);
  const quadratic = scaled((n) => (n * n) / 400);
  const r = judge(minimize, base.probes, quadratic.runs, base.runs, null);
  assert.deepEqual(
    r.weaknesses.map((w) => w.class),
    ["slow"],
  );
  const tenfold = scaled((n) => (10 * n) / 4);
  assert.deepEqual(judge(minimize, base.probes, tenfold.runs, base.runs, null).weaknesses, []);
});

test("judge: heap growing with size past twice the baseline's is memory; worse metrics are named", () => {
  const base = scaled((n) => n / 4);
  const hungry = scaled(
    (n) => n / 4,
    (n) => 4e6 + n * n * 20,
  );
  const r = judge(minimize, base.probes, hungry.runs, base.runs, null);
  assert.deepEqual(
    r.weaknesses.map((w) => w.class),
    ["memory"],
  );
  const worse = scaled((n) => n / 4);
  for (const run of worse.runs) run.value = 1.02;
  const w = judge(minimize, base.probes, worse.runs, base.runs, null);
  assert.deepEqual(new Set(w.weaknesses.map((x) => x.class)), new Set(["worse"]));
  // Within 1 %: not worse.
  for (const run of worse.runs) run.value = 1.005;
  assert.deepEqual(judge(minimize, base.probes, worse.runs, base.runs, null).weaknesses, []);
});

test("a profiled sandbox call reports process CPU time and the heap kept after a full collection; the candidate sees no gc", async () => {
  const script = `globalThis.__adrs = { run(n) {
    const keep = (globalThis.kept ??= []);
    keep.push(new Array(n).fill(1.5));
    return typeof gc;
  } };`;
  const r = await sandbox.run({
    script,
    inputs: [1e5, 1e5, 1e5, 1e5],
    timeoutMs: 20_000,
    memoryMb: 128,
    profile: true,
  });
  assert.equal(r.status, "ok", r.error);
  const kept = r.outputs.map((o) => o.profile?.retainedBytes ?? Number.NaN);
  for (let i = 1; i < kept.length; i++) {
    // 100,000 doubles a call: 800 kB, give or take the array's header.
    const grew = (kept[i] as number) - (kept[i - 1] as number);
    assert.ok(grew > 700_000 && grew < 900_000, String(kept));
  }
  for (const o of r.outputs) {
    assert.equal(o.ok && o.value, "undefined");
    assert.ok((o.profile?.cpuMs ?? -1) >= 0);
    assert.ok((o.profile?.peakBytes ?? 0) >= (o.profile?.retainedBytes ?? 1));
  }
});
