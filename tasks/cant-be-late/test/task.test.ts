import assert from "node:assert/strict";
import { test } from "node:test";
import type { WorkloadResult } from "../../../src/core/types.ts";
import type { Workload } from "../../../src/task/contract.ts";
import { run } from "../driver.ts";
import * as greedy from "../initial.ts";
import { ALL_ON_DEMAND_COST, type EnvInput, MISS_PENALTY } from "../simulator.ts";
import task, { ANCHORS, checkEnv } from "../task.ts";
import { ENVIRONMENTS, loadTraces, splitWorkloads, TEST_POSITIONS, TRAIN_POSITIONS } from "../workloads.ts";

const firstTrain = async () => (await task.workloads("train"))[0] as Workload<EnvInput>;

test("anchors are the published all-on-demand and all-spot costs", () => {
  assert.deepEqual(ANCHORS, { baseline: 3.06 * 48, target: 0.9731 * 48 });
  assert.deepEqual(task.anchors, ANCHORS);
});

test("the published selection: 30 traces per environment and overhead, the published files", async () => {
  const traces = await loadTraces();
  const published = [
    0, 8, 9, 20, 21, 33, 42, 51, 61, 70, 99, 107, 117, 126, 135, 145, 154, 163, 172, 182, 191, 219, 228, 238,
    247, 256, 266, 275, 284, 294,
  ];
  for (const env of ENVIRONMENTS) {
    for (const [, list] of traces.get(env) ?? []) {
      assert.equal(list.length, 30);
      const ids = list.map((t) => Number(t.id.replace(".json", ""))).sort((a, b) => a - b);
      assert.deepEqual(ids, published);
      assert.ok(list.every((t) => /^[01]{422}$/.test(t.availability)));
    }
  }
});

test("splits: 9 training and 21 held-out traces per environment, disjoint, every run of the published set", async () => {
  assert.equal(TRAIN_POSITIONS.length, 9);
  assert.equal(TEST_POSITIONS.length, 21);
  const train = await splitWorkloads("train");
  const heldOut = await splitWorkloads("test");
  assert.deepEqual(
    train.map((w) => w.id),
    [...ENVIRONMENTS],
  );
  let runs = 0;
  for (let i = 0; i < train.length; i++) {
    const a = train[i]?.input as EnvInput;
    const b = heldOut[i]?.input as EnvInput;
    // 6 jobs per trace, plus the first run repeated at the end.
    assert.equal(a.runs.length, 9 * 6 + 1);
    assert.equal(b.runs.length, 21 * 6 + 1);
    assert.deepEqual(a.runs.at(-1), a.runs[0]);
    const seen = new Set(a.traceIds);
    assert.ok(b.traceIds.every((id) => !seen.has(id)));
    runs += a.runs.length - 1 + b.runs.length - 1;
  }
  assert.equal(runs, 1080);
  assert.deepEqual(await splitWorkloads("train"), train);
});

test("check replays the decisions and recomputes the bill; anything the output claims is ignored", async () => {
  const w = await firstTrain();
  const output = run(greedy, w.input);
  const honest = checkEnv(w.input, output);
  assert.equal(honest.valid, true);
  const claimed = checkEnv(w.input, { ...output, cost: 0, score: 100, metrics: { cost: 1 } });
  assert.deepEqual(claimed, honest);
  const m = honest.metrics;
  assert.equal(m.runs, 54);
  assert.equal(m.misses, 0);
  assert.ok((m.cost as number) > 46.7 && (m.cost as number) < 146.88);
  assert.ok(Math.abs((m.spot_hours as number) + (m.on_demand_hours as number) - 48) < 3);
  assert.ok(m["cost.dl52_o0.02"] !== undefined && m["std.dl70_o0.10"] !== undefined);
});

test("check rejects outputs that are not a complete, replayable run each, saying where", async () => {
  const w = await firstTrain();
  const good = run(greedy, w.input).decisions;
  const first = good[0] as string;
  const swap = (i: number, d: unknown) => ({ decisions: good.map((x, j) => (j === i ? d : x)) });
  const cases: [unknown, RegExp][] = [
    [null, /output must be an object \{ decisions: string\[\] \}/],
    [good, /output must be an object/],
    [{}, /output\.decisions must be an array of strings, got undefined/],
    [{ decisions: good.slice(1) }, /output\.decisions has 54 entries, expected 55/],
    [
      swap(3, 42),
      /run 3 \(trace .+\.json, deadline 70 h, restart 0\.02 h\): decisions must be a string, got 42/,
    ],
    [swap(0, first.slice(0, -1)), /run 0 .*: the decisions end at tick \d+ with 0\.\d+ h of work left/],
    [swap(0, `${first}S`), /run 0 .*: 1 decisions follow the end of the job/],
    [swap(1, `X${first.slice(1)}`), /run 1 .*: decision 0 is "X", not N, S or O/],
  ];
  for (const [output, reason] of cases) {
    const r = checkEnv(w.input, output);
    assert.equal(r.valid, false, String(reason));
    assert.match(r.error ?? "", reason);
  }
});

test("a policy that keeps state between runs is caught by the repeated run", async () => {
  const w = await firstTrain();
  let runsSeen = 0;
  // Learns across runs: waits longer once it has seen a few runs.
  const leaky = {
    createPolicy: () => {
      runsSeen++;
      return (t: { hasSpot: boolean; tick: number }) =>
        t.hasSpot ? "SPOT" : runsSeen > 3 && t.tick < 5 ? "NONE" : "ON_DEMAND";
    },
  };
  const r = checkEnv(w.input, run(leaky, w.input));
  assert.equal(r.valid, false);
  assert.match(
    r.error ?? "",
    /run 54 repeats run 0 .* decisions differ: a policy must depend only on its own run/,
  );
});

test("a late run is detected and penalised: impossible under our rules, billed extra under the published ones", () => {
  // No spot for 22 ticks, then spot for 100 ticks, then none. With a 0.1 h restart the
  // restart at tick 22 uses up the last spare tick: the guard decides from tick 23 with
  // spot running, and spot is gone at tick 122.
  const availability = `${"0".repeat(22)}${"1".repeat(100)}${"0".repeat(300)}`;
  const spec = { trace: 0, deadlineHours: 52, restartHours: 0.1 };
  const alwaysSpot = { createPolicy: () => () => "SPOT" };
  const input = (rules?: "published"): EnvInput => ({
    traces: [availability],
    traceIds: ["synthetic"],
    runs: [spec, spec],
    ...(rules ? { rules } : {}),
  });
  const ours = checkEnv(input(), run(alwaysSpot, input()));
  assert.equal(ours.valid, true);
  assert.equal(ours.metrics.misses, 0);
  assert.equal(ours.metrics.cost, ours.metrics.bill);
  const published = checkEnv(input("published"), run(alwaysSpot, input("published")));
  assert.equal(published.valid, true);
  assert.equal(published.metrics.misses, 1);
  assert.ok(
    Math.abs((published.metrics.cost as number) - (published.metrics.bill as number) - MISS_PENALTY) < 1e-9,
  );
  // The idle tick itself is free: the bills are equal.
  assert.ok(Math.abs((published.metrics.bill as number) - (ours.metrics.bill as number)) < 1e-9);
});

test("a policy that never asks for anything is kept on time by the guard, at about the on-demand cost", async () => {
  const w = await firstTrain();
  const idle = { createPolicy: () => () => "NONE" };
  const r = checkEnv(w.input, run(idle, w.input));
  assert.equal(r.valid, true);
  assert.equal(r.metrics.misses, 0);
  assert.ok(
    (r.metrics.cost as number) > ALL_ON_DEMAND_COST && (r.metrics.cost as number) < ALL_ON_DEMAND_COST + 1,
  );
});

test("aggregate: mean over all runs on the published anchors; 0 if any environment is invalid or missing", async () => {
  const workloads = await task.workloads("train");
  const ok = (id: string, cost: number): WorkloadResult => ({
    workload: id,
    valid: true,
    metrics: { cost, bill: cost, runs: 54, misses: 0 },
  });
  const all = workloads.map((w, i) => ok(w.id, 90 + i));
  const good = task.aggregate("train", all, workloads);
  assert.ok(Math.abs((good.metrics.cost as number) - 92.5) < 1e-9);
  assert.ok(Math.abs(good.score - ((146.88 - 92.5) / (146.88 - 46.7088)) * 100) < 1e-9);
  assert.equal(good.metrics[`cost.${workloads[0]?.id}`], 90);
  const broken = [...all.slice(1), { workload: workloads[0]?.id as string, valid: false, metrics: {} }];
  assert.equal(task.aggregate("train", broken, workloads).score, 0);
  assert.equal(task.aggregate("train", all.slice(1), workloads).score, 0);
  assert.equal(
    task.aggregate("train", [ok(workloads[0]?.id as string, 200), ...all.slice(1)], workloads).score > 0,
    true,
  );
});

test("feedback: invalid environments first, then the worst scenarios and one line per environment", () => {
  const text = task.feedback?.(
    [
      {
        workload: "us-west-2a_k80_8",
        valid: true,
        metrics: {
          cost: 90,
          runs: 54,
          spot_hours: 30,
          on_demand_hours: 20,
          idle_hours: 2,
          restarts: 12,
          guard_hours: 1,
          misses: 0,
          "cost.dl52_o0.02": 100,
          "std.dl52_o0.02": 5,
          "cost.dl70_o0.02": 80,
          "std.dl70_o0.02": 4,
        },
      },
      { workload: "us-west-2b_k80_1", valid: false, metrics: {}, error: "run 3: boom" },
    ],
    [],
  );
  assert.ok(text);
  const lines = text.split("\n");
  assert.equal(lines[0], "us-west-2b_k80_1: invalid: run 3: boom");
  assert.match(lines[1] ?? "", /^Worst scenarios/);
  assert.equal(
    lines[2],
    "- us-west-2a_k80_8, deadline 52 h, restart 0.02 h: mean $100.00, std $5.00, 9 runs",
  );
  assert.equal(lines[3], "- us-west-2a_k80_8, deadline 70 h, restart 0.02 h: mean $80.00, std $4.00, 9 runs");
  assert.match(lines[5] ?? "", /^- us-west-2a_k80_8: \$90\.00; 30\.0 h spot, 20\.0 h on demand, 2\.0 h idle/);
});
