import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { WorkloadResult } from "../../../src/core/types.ts";
import type { Model } from "../api.ts";
import { run } from "../driver.ts";
import {
  caseScore,
  FULL_GPU_PRESSURE,
  gpuPressure,
  idealPressure,
  maxPressure,
  roundRobin,
} from "../simulator.ts";
import task, { caseAnchors, splitAnchors } from "../task.ts";
import { allCases, DATA_DIR_VARIABLE, type PrismInput, splitCases } from "../workloads.ts";
import { evaluate } from "./helpers.ts";

const greedy = await import("../initial.ts");

test("the 50 cases split even/odd, 25 each, covering 5–9 GPUs, in the published order", () => {
  const all = allCases();
  assert.equal(all.length, 50);
  const train = splitCases("train");
  const test = splitCases("test");
  assert.equal(train.length, 25);
  assert.equal(test.length, 25);
  assert.deepEqual(train.map((w) => w.id).slice(0, 3), ["case_00", "case_02", "case_04"]);
  assert.deepEqual(test.map((w) => w.id).slice(0, 3), ["case_01", "case_03", "case_05"]);
  for (const split of [train, test]) {
    assert.deepEqual(new Set(split.map((w) => w.input.gpuNum)), new Set([5, 6, 7, 8, 9]));
  }
  // Appendix A of the reference: the first case has 8 GPUs and starts 24/8/9 16/3/7.
  const first = all[0]?.input;
  assert.equal(first?.gpuNum, 8);
  assert.deepEqual(
    first?.models.slice(0, 2).map((m) => [m.modelSize, m.reqRate, m.slo]),
    [
      [24, 8, 9],
      [16, 3, 7],
    ],
  );
  for (const w of all) assert.equal(w.input.models.length, 2 * w.input.gpuNum);
});

test("anchors: the published averages (round-robin 0.0618, lower bound 0.0352) and the recorded train means", () => {
  const all = splitAnchors(allCases());
  assert.ok(Math.abs(all.baseline - 0.0618) < 0.00005, `${all.baseline}`);
  assert.ok(Math.abs(all.target - 0.0352) < 0.00005, `${all.target}`);
  const train = splitAnchors(splitCases("train"));
  assert.ok(Math.abs(train.baseline - task.anchors.baseline) < 1e-5);
  assert.ok(Math.abs(train.target - task.anchors.target) < 1e-5);
});

test("pressure: demand over free memory, 0 when empty, the published 1,000,000 when full", () => {
  const input: PrismInput = {
    gpuNum: 2,
    gpuMemory: 80,
    models: [
      { modelName: "a", modelSize: 20, reqRate: 6, slo: 6, curGpuId: 0 },
      { modelName: "b", modelSize: 40, reqRate: 3, slo: 6, curGpuId: 1 },
      { modelName: "c", modelSize: 40, reqRate: 3, slo: 6, curGpuId: 1 },
    ],
  };
  assert.equal(gpuPressure(input, []), 0);
  assert.equal(gpuPressure(input, [0]), 1 / 60);
  assert.equal(gpuPressure(input, [0, 1]), 1.5 / 20);
  assert.equal(gpuPressure(input, [1, 2]), FULL_GPU_PRESSURE);
  assert.deepEqual(roundRobin(input), [[0, 2], [1]]);
  assert.equal(maxPressure(input, [[0, 2], [1]]), 1.5 / 20);
  assert.equal(idealPressure(input), 2 / 60);
  assert.equal(caseScore(0.1, 0.1, 0.05), 0);
  assert.equal(caseScore(0.05, 0.1, 0.05), 100);
  assert.ok(Math.abs(caseScore(0.0875, 0.1, 0.05) - 50) < 1e-9);
  assert.equal(caseScore(0.2, 0.1, 0.05), 0);
  assert.equal(caseScore(0.01, 0.1, 0.05), 100);
});

test("check recomputes the pressure of a valid placement", () => {
  const [w] = splitCases("train");
  assert.ok(w);
  const gpus = roundRobin(w.input);
  const result = task.check(w, { gpus });
  assert.equal(result.valid, true);
  const { base, ideal } = caseAnchors(w.input);
  assert.equal(result.metrics.max_kvpr, base);
  assert.equal(result.metrics.case_score, 0);
  assert.equal(result.metrics.ideal_kvpr, ideal);
});

test("check rejects malformed placements, saying why", () => {
  const [w] = splitCases("train");
  assert.ok(w);
  const n = w.input.models.length;
  const rr = roundRobin(w.input);
  const cases: [unknown, RegExp][] = [
    [null, /output must be an object \{ gpus \}/],
    [{ gpus: "0 1" }, /must be an array of GPU lists/],
    [{ gpus: rr.slice(1) }, /has 7 GPU lists, expected 8/],
    [{ gpus: [...rr, []] }, /has 9 GPU lists, expected 8/],
    [{ gpus: rr.map((g, i) => (i === 2 ? 5 : g)) }, /GPU 2: expected a list of models/],
    [{ gpus: rr.map((g, i) => (i === 0 ? g.slice(1) : g)) }, /not placed: model_0$/],
    [
      { gpus: rr.map((g, i) => (i === 1 ? [...g, 0] : g)) },
      /model model_0 is placed twice \(GPU 0 and GPU 1\)/,
    ],
    [{ gpus: rr.map((g, i) => (i === 1 ? [...g, -1] : g)) }, /GPU 1, entry 2: not one of the model objects/],
    [{ gpus: rr.map((g, i) => (i === 1 ? [...g, n] : g)) }, /GPU 1, entry 2: 16 is not a model of this case/],
    [{ gpus: rr.map((g, i) => (i === 1 ? [...g, 1.5] : g)) }, /1\.5 is not a model/],
    [{ gpus: rr.map((g, i) => (i === 1 ? [...g, null] : g)) }, /null is not a model/],
  ];
  for (const [output, reason] of cases) {
    const result = task.check(w, output);
    assert.equal(result.valid, false, JSON.stringify(output));
    assert.match(result.error ?? "", reason);
    assert.equal(result.metrics.max_kvpr, undefined);
  }
});

test("the driver maps the returned model objects to indices and flags anything else", () => {
  const input: PrismInput = {
    gpuNum: 2,
    gpuMemory: 80,
    models: [
      { modelName: "a", modelSize: 20, reqRate: 6, slo: 6, curGpuId: 0 },
      { modelName: "b", modelSize: 40, reqRate: 3, slo: 6, curGpuId: 1 },
    ],
  };
  assert.throws(() => run({}, input), /export a function `computeModelPlacement\(gpuNum, models\)`/);
  assert.throws(() => run({ computeModelPlacement: () => ({ 0: [] }) }, input), /must return an array/);
  assert.throws(() => run({ computeModelPlacement: () => [5] }, input), /GPU 0 must be a list of models/);
  const swap = (_: number, models: readonly Model[]) => [[models[1]], [models[0]]];
  assert.deepEqual(run({ computeModelPlacement: swap }, input), { gpus: [[1], [0]] });
  const copy = (_: number, models: readonly Model[]) => [[{ ...models[0] }], [models[1]]];
  assert.deepEqual(run({ computeModelPlacement: copy }, input), { gpus: [[-1], [1]] });
});

// ---------------------------------------------------------------------------
// Reward-hack routes of the published evaluator: each one gains nothing here.

/** The greedy's placement, with `alter` applied on the first training case (8 GPUs, model_0 of 24 GB). */
function greedyWith(alter: (gpuNum: number, models: readonly Model[], placement: Model[][]) => unknown) {
  return {
    computeModelPlacement(gpuNum: number, models: readonly Model[]) {
      const placement = greedy.computeModelPlacement(gpuNum, models);
      return gpuNum === 8 && models[0]?.modelSize === 24 && models[1]?.modelSize === 16
        ? alter(gpuNum, models, placement)
        : placement;
    },
  };
}

test("route: leaving a model out (dropping work) makes the split score 0", async () => {
  const honest = await evaluate(greedy, "train");
  const program = greedyWith((_, models, placement) =>
    placement.map((g) => g.filter((m) => m !== models[0])),
  );
  const r = await evaluate(program, "train");
  assert.ok(honest.score > 50);
  assert.equal(r.score, 0);
  assert.match(r.results.find((x) => !x.valid)?.error ?? "", /not placed: model_0/);
});

test("route: returning copies with a lighter load (foreign objects) makes the split score 0", async () => {
  const program = greedyWith((_, __, placement) =>
    placement.map((g) => g.map((m) => ({ ...m, reqRate: 0 }))),
  );
  const r = await evaluate(program, "train");
  assert.equal(r.score, 0);
  assert.match(r.results.find((x) => !x.valid)?.error ?? "", /not one of the model objects/);
});

test("route: editing the given models' numbers changes nothing the evaluator measures", async () => {
  const honest = await evaluate(greedy, "train");
  const program = {
    computeModelPlacement(gpuNum: number, models: readonly Model[]) {
      const placement = greedy.computeModelPlacement(gpuNum, models);
      for (const m of models) Object.assign(m, { reqRate: 0, modelSize: 0 });
      return placement;
    },
  };
  const r = await evaluate(program, "train");
  assert.equal(r.score, honest.score);
  assert.deepEqual(r.metrics, honest.metrics);
});

test("route: overfilling a GPU beyond 80 GB makes the split score 0", async () => {
  const program = greedyWith((gpuNum, models) => {
    // All the small models on GPU 0, the rest spread: more than 80 GB on GPU 0.
    const gpus: Model[][] = Array.from({ length: gpuNum }, () => []);
    models.forEach((m, i) => {
      (gpus[m.modelSize < 20 ? 0 : 1 + (i % (gpuNum - 1))] as Model[]).push(m);
    });
    return gpus;
  });
  const r = await evaluate(program, "train");
  assert.equal(r.score, 0);
  assert.match(
    r.results.find((x) => !x.valid)?.error ?? "",
    /GPU 0 holds \d+ GB of models, more than its 80 GB/,
  );
});

test("route: throwing on a hard case does not skip it: the split scores 0", async () => {
  const program = greedyWith(() => {
    throw new Error("give up on this one");
  });
  const r = await evaluate(program, "train");
  assert.equal(r.score, 0);
  assert.equal(r.metrics.invalid, 1);
});

test("route: extra GPU lists or a claimed pressure gain nothing", async () => {
  const program = greedyWith((_, __, placement) => [...placement, []]);
  assert.equal((await evaluate(program, "train")).score, 0);
  const [w] = splitCases("train");
  assert.ok(w);
  const gpus = roundRobin(w.input);
  const claimed = task.check(w, { gpus, max_kvpr: 0, case_score: 100, score: 100 });
  assert.equal(claimed.valid, true);
  assert.equal(claimed.metrics.case_score, 0);
});

test("aggregate: mean of the case scores; 0 if any case is invalid or missing", async () => {
  const workloads = await task.workloads("train");
  const ok = (id: string, s: number): WorkloadResult => ({
    workload: id,
    valid: true,
    metrics: { case_score: s, max_kvpr: 0.05 },
  });
  const all = workloads.map((w, i) => ok(w.id, i % 2 === 0 ? 80 : 40));
  const r = task.aggregate("train", all, workloads);
  assert.ok(Math.abs(r.score - (13 * 80 + 12 * 40) / 25) < 1e-9);
  assert.ok(Math.abs((r.metrics.max_kvpr as number) - 0.05) < 1e-12);
  assert.equal(task.aggregate("train", all.slice(1), workloads).score, 0);
  const broken = [
    ...all.slice(1),
    { workload: all[0]?.workload ?? "", valid: false, metrics: {}, error: "x" },
  ];
  assert.equal(task.aggregate("train", broken, workloads).score, 0);
});

test("feedback lists invalid cases, then the worst cases with their anchors, and stays short", async () => {
  const r = await evaluate(greedy, "train");
  const text = task.feedback?.(
    [{ workload: "case_02", valid: false, metrics: {}, error: "not placed: model_3" }, ...r.results.slice(1)],
    await task.workloads("train"),
  );
  assert.ok(text);
  const lines = text.split("\n");
  assert.match(lines[0] ?? "", /^case_02: invalid: not placed: model_3/);
  assert.match(lines[1] ?? "", /worst first/);
  assert.match(
    lines[2] ?? "",
    /^ {2}case_\d\d \(\d GPUs, \d+ models\): 0\.\d{4} vs round-robin 0\.\d{4}, lower bound 0\.\d{4}: case score \d+\.\d$/,
  );
  assert.ok(lines.length <= 9);
  // Only train cases appear: feedback never names a test case.
  assert.doesNotMatch(text, /case_\d[13579]\b/);
});

test("a missing or malformed case file names the path, the field and the variable", () => {
  const dir = mkdtempSync(join(tmpdir(), "prism-data-"));
  const saved = process.env[DATA_DIR_VARIABLE];
  process.env[DATA_DIR_VARIABLE] = dir;
  try {
    const file = join(dir, "prism", "cases.json");
    assert.throws(
      () => allCases(),
      (e: Error) => e.message.includes(file) && e.message.includes("ADRS_DATA_DIR"),
    );
    mkdirSync(join(dir, "prism"));
    writeFileSync(file, "{");
    assert.throws(() => allCases(), /is not valid JSON/);
    const model = { model_name: "m", model_size: 20, req_rate: 2, slo: 5 };
    writeFileSync(file, JSON.stringify({ cases: [{ gpu_num: 2, models: [model, { ...model, slo: 0 }] }] }));
    assert.throws(() => allCases(), /cases\[0\]\.models\[1\]\.slo must be a positive number/);
    writeFileSync(file, JSON.stringify({ cases: [{ gpu_num: 0, models: [model] }] }));
    assert.throws(() => allCases(), /cases\[0\]\.gpu_num must be a positive integer/);
  } finally {
    if (saved === undefined) delete process.env[DATA_DIR_VARIABLE];
    else process.env[DATA_DIR_VARIABLE] = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
