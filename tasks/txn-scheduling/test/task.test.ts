import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { WorkloadResult } from "../../../src/core/types.ts";
import task, { splitAnchors } from "../task.ts";
import { DATA_DIR_VARIABLE, testWorkloads, trainWorkloads } from "../workloads.ts";

const identity = (n: number) => Array.from({ length: n }, (_, i) => i);

test("anchors derived from the train split are the published 537 / 95.1", async () => {
  const anchors = splitAnchors(await task.workloads("train"));
  assert.deepEqual(anchors, { baseline: 537, target: 95.1 });
  assert.deepEqual(task.anchors, anchors);
});

test("check accepts a permutation and recomputes its makespan", async () => {
  const [w] = await task.workloads("train");
  assert.ok(w);
  const result = task.check(w, { schedule: identity(100) });
  assert.deepEqual(result, { valid: true, metrics: { lower_bound: 16, makespan: 452 } });
});

test("check rejects schedules that are not permutations, saying why", async () => {
  const [w] = await task.workloads("train");
  assert.ok(w);
  const cases: [unknown, RegExp][] = [
    [null, /output must be an object/],
    [[0, 1, 2], /output must be an object/],
    [{}, /output has no schedule/],
    [{ schedule: "0 1 2" }, /schedule must be an array/],
    [{ schedule: identity(100).filter((t) => t !== 17) }, /^schedule is missing transaction 17$/],
    [{ schedule: identity(98) }, /missing 2 transactions: 98, 99/],
    [{ schedule: [...identity(100), 5] }, /transaction 5 appears twice in schedule \(positions 5 and 100\)/],
    [
      { schedule: identity(100).map((t) => (t === 3 ? 100 : t)) },
      /schedule\[3\] = 100 is out of range 0..99/,
    ],
    [{ schedule: identity(100).map((t) => (t === 3 ? -1 : t)) }, /schedule\[3\] = -1 is out of range/],
    [{ schedule: identity(100).map((t) => (t === 3 ? Number.NaN : t)) }, /schedule\[3\] is NaN/],
    // NaN arrives as null once the output has crossed the sandbox as JSON.
    [{ schedule: identity(100).map((t) => (t === 3 ? null : t)) }, /schedule\[3\] is null/],
    [{ schedule: identity(100).map((t) => (t === 3 ? 2.5 : t)) }, /schedule\[3\] is 2.5, not an integer/],
    [{ schedule: identity(100).map((t) => (t === 3 ? "3" : t)) }, /schedule\[3\] is "3"/],
    [{ schedule: identity(100_000) }, /schedule has 100000 entries, expected 100/],
  ];
  for (const [output, reason] of cases) {
    const result = task.check(w, output);
    assert.equal(result.valid, false, JSON.stringify(output)?.slice(0, 60));
    assert.match(result.error ?? "", reason);
    assert.equal(result.metrics.makespan, undefined);
  }
});

test("a makespan claimed by the candidate is ignored", async () => {
  const workloads = await task.workloads("train");
  const results: WorkloadResult[] = workloads.map((w) => {
    const check = task.check(w, { schedule: identity(w.input.txns.length), makespan: 1, score: 100 });
    return { workload: w.id, ...check };
  });
  const { score, metrics } = task.aggregate("train", results, workloads);
  assert.equal(score, 0);
  assert.equal(metrics.makespan, 537);
});

test("aggregate: total and per-workload makespans; 0 if any workload is invalid or missing", async () => {
  const workloads = await task.workloads("train");
  const ok = (id: string, makespan: number): WorkloadResult => ({
    workload: id,
    valid: true,
    metrics: { makespan },
  });
  const all = [ok("workload_1", 200), ok("workload_2", 30), ok("workload_3", 30)];
  const good = task.aggregate("train", all, workloads);
  assert.deepEqual(good.metrics, {
    "makespan.workload_1": 200,
    "makespan.workload_2": 30,
    "makespan.workload_3": 30,
    makespan: 260,
  });
  assert.ok(Math.abs(good.score - ((537 - 260) / (537 - 95.1)) * 100) < 1e-9);
  const broken = [...all.slice(0, 2), { workload: "workload_3", valid: false, metrics: {}, error: "x" }];
  assert.equal(task.aggregate("train", broken, workloads).score, 0);
  assert.equal(task.aggregate("train", all.slice(0, 2), workloads).score, 0);
  // Beyond the target the score stays at 100.
  assert.equal(task.aggregate("train", [ok("workload_1", 16), ...all.slice(1)], workloads).score, 100);
});

test("feedback lists invalid workloads, then the largest gap to the lower bound first", () => {
  const text = task.feedback?.(
    [
      { workload: "a", valid: true, metrics: { makespan: 30, lower_bound: 21 } },
      { workload: "b", valid: true, metrics: { makespan: 168, lower_bound: 16 } },
      { workload: "c", valid: false, metrics: {}, error: "schedule is missing transaction 4" },
    ],
    [],
  );
  assert.ok(text);
  const lines = text.split("\n");
  assert.match(lines[0] ?? "", /^c: invalid: schedule is missing transaction 4/);
  assert.match(lines[2] ?? "", /b: 168 vs lower bound 16, gap 152/);
  assert.match(lines[3] ?? "", /a: 30 vs lower bound 21, gap 9/);
  assert.ok(lines.length <= 5);
});

test("the test split is deterministic, of the same families, and differs from train", async () => {
  const a = testWorkloads();
  const b = await task.workloads("test");
  assert.deepEqual(a, b);
  assert.deepEqual(
    a.map((w) => w.id),
    ["hotset_1", "hotset_2", "tpcc_1", "tpcc_2", "cyclic_1", "cyclic_2"],
  );
  const train = new Set(trainWorkloads().flatMap((w) => w.input.txns.join("\n")));
  for (const w of a) {
    assert.equal(w.split, "test");
    assert.equal(w.input.txns.length, 100);
    assert.ok(!train.has(w.input.txns.join("\n")));
  }
  assert.notDeepEqual(a[0]?.input.txns, a[1]?.input.txns);
  // Same shapes as the train families: 16 ops; 21 or 5; 9.
  const lengths = (i: number) => new Set(a[i]?.input.txns.map((t) => t.split(" ").length));
  assert.deepEqual(lengths(0), new Set([16]));
  assert.deepEqual(lengths(2), new Set([21, 5]));
  assert.deepEqual(lengths(4), new Set([9]));
});

test("a missing workload file names the path and the variable that moves it", () => {
  const dir = mkdtempSync(join(tmpdir(), "txn-data-"));
  const saved = process.env[DATA_DIR_VARIABLE];
  process.env[DATA_DIR_VARIABLE] = dir;
  try {
    assert.throws(
      () => trainWorkloads(),
      (e: Error) =>
        e.message.includes(join(dir, "txn-scheduling", "workloads.json")) &&
        e.message.includes("ADRS_DATA_DIR"),
    );
  } finally {
    if (saved === undefined) delete process.env[DATA_DIR_VARIABLE];
    else process.env[DATA_DIR_VARIABLE] = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
