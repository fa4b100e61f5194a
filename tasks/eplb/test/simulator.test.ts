import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../../src/core/rng.ts";
import {
  checkPlacement,
  type Placement,
  type Shape,
  scoreParts,
  simulate,
  unpackPlacement,
} from "../simulator.ts";
import { generateTrace, nextWindow, SHAPE, splitTrace, workloadsFromTrace } from "../workloads.ts";

/** 2 layers, 4 experts, 6 slots on 3 GPUs (2 slots each). */
const tiny: Shape = { layers: 2, experts: 4, replicas: 6, gpus: 3 };

/** A placement from phy2log alone, ranks in slot order. */
function fromSlots(phy2log: number[][], experts: number): Placement {
  const logcnt = phy2log.map((slots) => {
    const c = new Array<number>(experts).fill(0);
    for (const e of slots) c[e] = (c[e] as number) + 1;
    return c;
  });
  const log2phy = phy2log.map((slots) => {
    const lists: number[][] = Array.from({ length: experts }, () => []);
    slots.forEach((e, p) => {
      (lists[e] as number[]).push(p);
    });
    return lists;
  });
  return { phy2log, log2phy, logcnt };
}

test("simulation: an expert's load is split evenly over its replicas and summed per GPU", () => {
  // Layer 0: expert 0 has three replicas (slots 0, 1, 2), so GPU 0 holds two of them.
  const placement = fromSlots(
    [
      [0, 0, 0, 1, 2, 3],
      [3, 2, 1, 0, 0, 1],
    ],
    4,
  );
  const loads = [
    [90, 20, 10, 40],
    [30, 60, 10, 40],
  ];
  const sim = simulate(placement, loads, tiny);
  // Layer 0 slots: 30 30 30 20 10 40 → GPUs 60, 50, 50: mean 160/3, max 60.
  // Layer 1 slots: 40 10 30 15 15 30 → GPUs 50, 45, 45: mean 140/3, max 50.
  assert.ok(Math.abs(sim.gpuBalance - (160 / 3 + 140 / 3) / (60 + 50)) < 1e-12);
  // Slots: means 160/6 and 140/6, maxima 40 and 40.
  assert.ok(Math.abs(sim.slotBalance - (160 / 6 + 140 / 6) / (40 + 40)) < 1e-12);
  assert.equal(sim.worstLayer, 0);
  assert.ok(Math.abs(sim.worstRatio - 60 / (160 / 3)) < 1e-12);
  // An even load is perfectly balanced; no load at all counts as balanced.
  assert.equal(
    simulate(fromSlots([[0, 1, 2, 3, 0, 1]], 4), [[20, 20, 10, 10]], { ...tiny, layers: 1 }).gpuBalance,
    1,
  );
  assert.equal(
    simulate(fromSlots([[0, 1, 2, 3, 0, 1]], 4), [[0, 0, 0, 0]], { ...tiny, layers: 1 }).gpuBalance,
    1,
  );
});

test("the simulation agrees with a slot-by-slot reading of phy2log and logcnt on real placements", async () => {
  const { workloads, next } = splitTrace("train");
  const shape: Shape = {
    layers: SHAPE.layers,
    experts: SHAPE.experts,
    replicas: SHAPE.replicas,
    gpus: SHAPE.gpus,
  };
  const program = await import("../references/best-known.ts");
  for (const i of [0, 13]) {
    const w = workloads[i];
    const loads = next[i];
    assert.ok(w && loads);
    const p = program.rebalanceExperts(w.input.weight, 288, 8, 4, 32);
    const placement: Placement = {
      phy2log: p.phy2log.map((r) => Array.from(r)),
      log2phy: p.log2phy.map((l) => l.map((r) => Array.from(r))),
      logcnt: p.logcnt.map((r) => Array.from(r)),
    };
    assert.equal(checkPlacement(placement, loads, shape).ok, true);
    let sumMean = 0;
    let sumMax = 0;
    for (let l = 0; l < shape.layers; l++) {
      const gpu = new Array<number>(shape.gpus).fill(0);
      for (let s = 0; s < shape.replicas; s++) {
        const e = placement.phy2log[l]?.[s] as number;
        const g = Math.floor(s / 9);
        gpu[g] = (gpu[g] as number) + (loads[l]?.[e] as number) / (placement.logcnt[l]?.[e] as number);
      }
      sumMean += gpu.reduce((a, b) => a + b, 0) / shape.gpus;
      sumMax += Math.max(...gpu);
    }
    assert.ok(Math.abs(simulate(placement, loads, shape).gpuBalance - sumMean / sumMax) < 1e-12);
  }
});

test("checkPlacement accepts consistent maps, with or without −1 padding", () => {
  const loads = [
    [1, 1, 1, 1],
    [1, 1, 1, 1],
  ];
  const p = fromSlots(
    [
      [0, 1, 2, 3, 0, 1],
      [3, 2, 1, 0, 0, 0],
    ],
    4,
  );
  assert.equal(checkPlacement(p, loads, tiny).ok, true);
  const padded = { ...p, log2phy: p.log2phy.map((lists) => lists.map((l) => [...l, -1, -1].slice(0, 4))) };
  assert.equal(checkPlacement(padded, loads, tiny).ok, true);
});

test("checkPlacement rejects every inconsistency, naming it", () => {
  const loads = [
    [5, 1, 1, 1],
    [1, 1, 1, 1],
  ];
  const good = () =>
    fromSlots(
      [
        [0, 1, 2, 3, 0, 0],
        [3, 2, 1, 0, 0, 1],
      ],
      4,
    );
  // Layer 0: slots 0 1 2 3 0 0 → log2phy [[0, 4, 5], [1], [2], [3]]; layer 1: slots 3 2 1 0 0 1.
  const cases: [(p: Placement) => unknown, RegExp][] = [
    [() => null, /output must be an object \{ phy2log, log2phy, logcnt \}/],
    [(p) => ({ phy2log: p.phy2log, logcnt: p.logcnt }), /output has no log2phy/],
    [(p) => ({ ...p, phy2log: p.phy2log.slice(1) }), /phy2log has 1 rows, expected 2/],
    [(p) => ({ ...p, phy2log: [p.phy2log[0], [3, 2, 1, 0, 0]] }), /phy2log\[1\] has 5 entries, expected 6/],
    [
      (p) => ({ ...p, phy2log: [p.phy2log[0], [3, 2, 1, 0, 0, 4]] }),
      /phy2log\[1\]\[5\] is 4, not an expert index in 0..3/,
    ],
    [(p) => ({ ...p, phy2log: [p.phy2log[0], [3, 2, 1, 0, 0, 0.5]] }), /phy2log\[1\]\[5\] is 0.5/],
    [(p) => ({ ...p, logcnt: [[3, 1, 1, -1], p.logcnt[1]] }), /logcnt\[0\]\[3\] is -1, not a replica count/],
    [(p) => ({ ...p, logcnt: [[4, 1, 1, 1], p.logcnt[1]] }), /logcnt\[0\] sums to 7, expected 6/],
    // Counts that sum right but disagree with the slots.
    [
      (p) => ({ ...p, logcnt: [[2, 2, 1, 1], p.logcnt[1]] }),
      /log2phy\[0\]\[0\]\[2\] is 5, but expert 0 has logcnt 2/,
    ],
    [
      (p) => ({ ...p, log2phy: [p.log2phy[0], [[3], [2, 5], [1], [0]]] }),
      /log2phy\[1\]\[0\] lists 1 slots but logcnt\[1\]\[0\] = 2/,
    ],
    // log2phy and phy2log disagree about a slot.
    [
      (p) => ({ ...p, log2phy: [p.log2phy[0], [[3, 4], [2, 5], [0], [1]]] }),
      /log2phy\[1\]\[2\]\[0\] = 0, but phy2log\[1\]\[0\] = 3, not 2/,
    ],
    [
      (p) => ({ ...p, log2phy: [[[0, 0, 5], [1], [2], [3]], p.log2phy[1]] }),
      /slot 0 of layer 0 is listed twice/,
    ],
    [
      (p) => ({ ...p, log2phy: [[[0, 4, -1], [1], [2], [3]], p.log2phy[1]] }),
      /log2phy\[0\]\[0\]\[2\] is -1, not a slot index in 0..5/,
    ],
    [
      (p) => ({ ...p, log2phy: [[[0, 4, 5, 9], [1], [2], [3]], p.log2phy[1]] }),
      /log2phy\[0\]\[0\]\[3\] is 9, but expert 0 has logcnt 3/,
    ],
  ];
  for (const [make, reason] of cases) {
    const result = checkPlacement(make(good()), loads, tiny);
    assert.equal(result.ok, false, reason.source);
    if (!result.ok) assert.match(result.error, reason);
  }
});

test("an expert with load in the next window must have a replica; an idle one may have none", () => {
  const p = fromSlots(
    [
      [0, 1, 2, 0, 0, 1],
      [3, 2, 1, 0, 0, 1],
    ],
    4,
  );
  const idle = checkPlacement(
    p,
    [
      [5, 1, 1, 0],
      [1, 1, 1, 1],
    ],
    tiny,
  );
  assert.equal(idle.ok, true);
  const loaded = checkPlacement(
    p,
    [
      [5, 1, 1, 2],
      [1, 1, 1, 1],
    ],
    tiny,
  );
  assert.equal(loaded.ok, false);
  if (!loaded.ok)
    assert.match(loaded.error, /expert 3 of layer 0 has no replica .* receives 2 tokens in the next window/);
});

test("unpackPlacement rebuilds the nested maps and rejects a malformed flat form", () => {
  const flat = {
    phy2log: { lengths: [2, 2], values: [0, 1, 1, 0] },
    logcnt: { lengths: [2, 2], values: [1, 1, 1, 1] },
    log2phyLayers: [2, 2],
    log2phy: { lengths: [1, 1, 1, 1], values: [0, 1, 1, 0] },
  };
  const r = unpackPlacement(flat);
  assert.ok(r.ok);
  assert.deepEqual(r.nested, {
    phy2log: [
      [0, 1],
      [1, 0],
    ],
    logcnt: [
      [1, 1],
      [1, 1],
    ],
    log2phy: [
      [[0], [1]],
      [[1], [0]],
    ],
  });
  for (const bad of [
    null,
    { ...flat, phy2log: [0, 1] },
    { ...flat, logcnt: { lengths: [2, 3], values: [1, 1, 1, 1] } },
    { ...flat, log2phyLayers: [2, -2] },
    { ...flat, log2phy: { lengths: [1.5, 1, 1, 0.5], values: [0, 1, 1, 0] } },
  ]) {
    const u = unpackPlacement(bad);
    assert.equal(u.ok, false);
    if (!u.ok) assert.match(u.error, /^malformed output from the driver/);
  }
});

test("the published score: 90 · balance, speed points by mean call time, a penalty past 10 ms", () => {
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;
  assert.ok(near(scoreParts(0.7, 0.001).score, 63 + 10));
  assert.ok(near(scoreParts(0.7, 0.0005).speedPoints, 10));
  assert.ok(near(scoreParts(0.7, 0.002).speedPoints, 5));
  assert.ok(near(scoreParts(0.7, 0.01).score, 63 + 1));
  assert.ok(near(scoreParts(0.7, 0.02).score, 63 + 0.5 - 0.4));
  assert.ok(near(scoreParts(0.7, 2).penalty, 20));
  assert.equal(scoreParts(0.1, 5).score, 0);
  assert.equal(scoreParts(1, 0).score, 100);
  // No measured time, no speed points.
  assert.ok(near(scoreParts(0.7, undefined).score, 63));
});

test("traces: deterministic, integer loads of the published shape, heavy-tailed, drifting but correlated", () => {
  const options = { layers: 3, experts: 256, windows: 6, stepsPerWindow: 100 };
  const a = generateTrace(new Rng(5), options);
  assert.deepEqual(a, generateTrace(new Rng(5), options));
  assert.notDeepEqual(a, generateTrace(new Rng(6), options));
  assert.equal(a.length, 6);
  for (const window of a) {
    assert.equal(window.length, 3);
    for (const row of window) {
      assert.equal(row.length, 256);
      assert.ok(row.every((x) => Number.isInteger(x) && x >= 0));
      const sorted = [...row].sort((x, y) => x - y);
      const median = sorted[128] as number;
      // A few hot experts well above the median.
      assert.ok((sorted[255] as number) > 4 * median, `max ${sorted[255]} vs median ${median}`);
    }
  }
  // Consecutive windows are correlated (the task is predictive) but not identical.
  const log = (w: number[][]) => (w[0] as number[]).map((x) => Math.log(1 + x));
  for (let i = 0; i + 1 < a.length; i++) {
    const x = log(a[i] as number[][]);
    const y = log(a[i + 1] as number[][]);
    const mx = x.reduce((s, v) => s + v, 0) / x.length;
    const my = y.reduce((s, v) => s + v, 0) / y.length;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    x.forEach((v, j) => {
      sxy += (v - mx) * ((y[j] as number) - my);
      sxx += (v - mx) ** 2;
      syy += ((y[j] as number) - my) ** 2;
    });
    const r = sxy / Math.sqrt(sxx * syy);
    assert.ok(r > 0.6 && r < 0.995, `window ${i}→${i + 1}: correlation ${r}`);
  }
});

test("splits: 29 windows each, train and test differ, each placement is measured on the next window", () => {
  const train = splitTrace("train");
  const test = splitTrace("test");
  assert.equal(train.workloads.length, 29);
  assert.equal(test.workloads.length, 29);
  assert.equal(train.workloads[0]?.id, "window_00");
  assert.deepEqual(train.workloads[1]?.input.weight, train.next[0]);
  assert.notDeepEqual(train.workloads[0]?.input.weight, test.workloads[0]?.input.weight);
  const w = train.workloads[4];
  assert.ok(w);
  assert.deepEqual(Object.keys(w.input).sort(), [
    "numGpus",
    "numGroups",
    "numNodes",
    "numReplicas",
    "weight",
  ]);
  assert.equal(w.input.weight.length, SHAPE.layers);
  assert.equal(w.input.weight[0]?.length, SHAPE.experts);
  // A copy of the workload (as after crossing a process boundary) still finds its next window.
  assert.equal(nextWindow(structuredClone(w)), train.next[4]);
  assert.throws(() => nextWindow({ ...structuredClone(w), id: "window_99" }), /unknown workload "window_99"/);
  // Workloads built from any trace know their next window.
  const small = workloadsFromTrace("train", [[[1]], [[2]], [[3]]]);
  assert.deepEqual(nextWindow(small.workloads[1] as (typeof small.workloads)[number]), [[3]]);
});
