import assert from "node:assert/strict";
import { test } from "node:test";
import type { WorkloadResult } from "../../../src/core/types.ts";
import type { Workload } from "../../../src/task/contract.ts";
import type { Tick } from "../api.ts";
import { run } from "../driver.ts";
import * as roundRobin from "../initial.ts";
import { MISS_PENALTY, type ScenarioInput } from "../simulator.ts";
import task, { ANCHORS, checkScenario } from "../task.ts";
import { loadTraces, SCENARIOS, splitWorkloads } from "../workloads.ts";

const first = async () => (await task.workloads("train"))[0] as Workload<ScenarioInput>;

test("anchors are the published all-on-demand and all-spot costs", () => {
  assert.deepEqual(ANCHORS, { baseline: 3.06 * 48, target: 0.9731 * 48 });
  assert.deepEqual(task.anchors, ANCHORS);
});

test("splits: the six published scenarios; train = the published 34 runs, test = 84 held-out runs", async () => {
  const train = await splitWorkloads("train");
  const heldOut = await splitWorkloads("test");
  assert.deepEqual(
    train.map((w) => [w.id, w.input.regions.length, w.input.runs.length - 1]),
    [
      ["2_zones_same_region", 2, 8],
      ["2_regions_east_west", 2, 8],
      ["3_regions_diverse", 3, 6],
      ["3_zones_same_region", 3, 6],
      ["5_regions_high_diversity", 5, 4],
      ["all_9_regions", 9, 2],
    ],
  );
  assert.deepEqual(
    heldOut.map((w) => w.input.runs.length - 1),
    [20, 20, 14, 14, 10, 6],
  );
  const trainIds = new Set(train.flatMap((w) => w.input.traces.map((t) => t.id)));
  for (const w of heldOut) {
    assert.ok(w.input.traces.every((t) => !trainIds.has(t.id) && t.id >= 8));
    assert.equal(w.input.runs.at(-1), w.input.runs[0]);
    for (const t of w.input.traces) {
      assert.equal(t.available.length, w.input.regions.length);
      assert.ok(t.available.every((a) => /^[01]{962}$/.test(a)));
      assert.ok(t.prices.every((p) => p.length === 962 && p.every((x) => x > 0.5 && x < 2)));
    }
  }
  // Every region and trace index some scenario uses.
  assert.equal((await loadTraces()).size, 200);
  assert.equal(SCENARIOS.length, 6);
});

test("check replays the decisions and recomputes the bill; anything the output claims is ignored", async () => {
  const w = await first();
  const output = run(roundRobin, w.input);
  const honest = checkScenario(w.input, output);
  assert.equal(honest.valid, true);
  assert.deepEqual(checkScenario(w.input, { ...output, cost: 0, score: 100 }), honest);
  assert.equal(honest.metrics.runs, 8);
  assert.equal(honest.metrics.misses, 0);
  assert.ok((honest.metrics.region_moves as number) > 0);
});

test("check rejects outputs that are not a complete, replayable run each, saying where", async () => {
  const w = await first();
  const good = run(roundRobin, w.input).decisions;
  const d0 = good[0] as string;
  const swap = (i: number, d: unknown) => ({ decisions: good.map((x, j) => (j === i ? d : x)) });
  const cases: [unknown, RegExp][] = [
    [null, /output must be an object \{ decisions: string\[\] \}/],
    [{ decisions: "S0" }, /output\.decisions must be an array of strings/],
    [{ decisions: good.slice(2) }, /output\.decisions has 7 entries, expected 9/],
    [swap(2, null), /run 2 \(trace 2\): decisions must be a string, got null/],
    [swap(0, d0.slice(0, -2)), /run 0 \(trace 0\): the decisions end at tick \d+ with 0\.\d+ h of work left/],
    [swap(0, `${d0}S0`), /run 0 \(trace 0\): 1 decisions follow the end of the job/],
    [
      swap(1, `S5${(good[1] as string).slice(2)}`),
      /run 1 \(trace 1\): decision 0 names region "5", not one of 0\.\.1/,
    ],
    [swap(1, `S${(good[1] as string).slice(1)}`.slice(0, -1)), /not a multiple of 2/],
  ];
  for (const [output, reason] of cases) {
    const r = checkScenario(w.input, output);
    assert.equal(r.valid, false, String(reason));
    assert.match(r.error ?? "", reason);
  }
});

test("a policy that keeps state between runs is caught by the repeated run", async () => {
  const w = await first();
  let runs = 0;
  const leaky = {
    createPolicy: () => {
      runs++;
      const start = runs > 4 ? 1 : 0;
      return (t: Tick) => (t.hasSpot ? "SPOT" : { type: "NONE", region: (t.region + start) % 2 });
    },
  };
  const r = checkScenario(w.input, run(leaky, w.input));
  assert.equal(r.valid, false);
  assert.match(r.error ?? "", /run 8 repeats run 0 .* decisions differ/);
});

test("moving a running spot instance every tick: free under the published rules, restarts under ours", async () => {
  // East and west, both with spot most of the time.
  const w = (await task.workloads("train"))[1] as Workload<ScenarioInput>;
  // Move to the other region whenever it has spot.
  const hopper = {
    createPolicy: () => (t: Tick) => (t.spot[1 - t.region] ? { type: "SPOT", region: 1 - t.region } : "SPOT"),
  };
  const ours = checkScenario(w.input, run(hopper, w.input));
  const publishedInput: ScenarioInput = { ...w.input, rules: "published" };
  const published = checkScenario(publishedInput, run(hopper, publishedInput));
  assert.ok(ours.valid && published.valid);
  assert.ok((ours.metrics.restarts as number) > 3 * (published.metrics.restarts as number));
  assert.ok((ours.metrics.cost as number) > (published.metrics.cost as number) + 10);
});

test("a late run is detected and penalised: impossible under our rules, billed extra under the published ones", () => {
  // Region 0 without spot for 66 ticks, then spot for 600 ticks, then none: the 720 s
  // restart at tick 66 uses up the last spare tick, so the guard decides from tick 70 with
  // spot running; spot is gone at tick 666.
  const available = `${"0".repeat(66)}${"1".repeat(600)}${"0".repeat(296)}`;
  const trace = { id: 0, available: [available], prices: [Array.from({ length: 962 }, () => 1)] };
  const alwaysSpot = { createPolicy: () => () => "SPOT" };
  const input = (rules?: "published"): ScenarioInput => ({
    regions: ["r"],
    traces: [trace],
    runs: [0, 0],
    ...(rules ? { rules } : {}),
  });
  const ours = checkScenario(input(), run(alwaysSpot, input()));
  assert.equal(ours.valid, true);
  assert.equal(ours.metrics.misses, 0);
  const published = checkScenario(input("published"), run(alwaysSpot, input("published")));
  assert.equal(published.metrics.misses, 1);
  assert.ok(
    Math.abs((published.metrics.cost as number) - (published.metrics.bill as number) - MISS_PENALTY) < 1e-9,
  );
});

test("aggregate: the mean of the scenario means; 0 if any scenario is invalid or missing", async () => {
  const workloads = await task.workloads("train");
  const ok = (id: string, cost: number, runs: number): WorkloadResult => ({
    workload: id,
    valid: true,
    metrics: { cost, bill: cost, runs, misses: 0 },
  });
  const all = workloads.map((w, i) => ok(w.id, 60 + 10 * i, w.input.runs.length - 1));
  const good = task.aggregate("train", all, workloads);
  assert.ok(Math.abs((good.metrics.cost as number) - 85) < 1e-9);
  assert.equal(good.metrics.runs, 34);
  assert.ok(Math.abs(good.score - ((146.88 - 85) / (146.88 - 46.7088)) * 100) < 1e-9);
  const broken = [...all.slice(1), { workload: workloads[0]?.id as string, valid: false, metrics: {} }];
  assert.equal(task.aggregate("train", broken, workloads).score, 0);
  assert.equal(task.aggregate("train", all.slice(1), workloads).score, 0);
});

test("feedback: invalid scenarios first, then every scenario, highest mean cost first", async () => {
  const workloads = await task.workloads("train");
  const m = (cost: number) => ({
    cost,
    cost_std: 2,
    runs: 8,
    spot_hours: 20,
    on_demand_hours: 30,
    idle_hours: 1,
    restarts: 9,
    region_moves: 40,
    guard_hours: 0.5,
    misses: 0,
  });
  const text = task.feedback?.(
    [
      { workload: "2_regions_east_west", valid: true, metrics: m(60) },
      { workload: "2_zones_same_region", valid: true, metrics: m(130) },
      { workload: "all_9_regions", valid: false, metrics: {}, error: "run 1 (trace 1): boom" },
    ],
    workloads,
  );
  const lines = (text ?? "").split("\n");
  assert.equal(lines[0], "all_9_regions: invalid: run 1 (trace 1): boom");
  assert.match(lines[1] ?? "", /^Scenarios/);
  assert.match(
    lines[2] ?? "",
    /^- 2_zones_same_region \(2 regions\): mean \$130\.00, std \$2\.00, 8 runs; 20\.0 h spot, 30\.0 h on demand, 1\.0 h idle, 9\.0 restarts, 40\.0 region moves/,
  );
  assert.match(lines[3] ?? "", /^- 2_regions_east_west/);
});
