import assert from "node:assert/strict";
import { test } from "node:test";
import type { WorkloadResult } from "../../../src/core/types.ts";
import type { Placement, Weights } from "../api.ts";
import { run } from "../driver.ts";
import task, { meanCallMs } from "../task.ts";
import { splitTrace } from "../workloads.ts";
import { evaluate, typedArrays } from "./helpers.ts";

const best = await import("../references/best-known.ts");
// Three windows keep these tests quick; the full splits are scored in references.test.ts.
const few = splitTrace("train").workloads.slice(0, 3);

type Program = (weight: Weights, replicas: number, groups: number, nodes: number, gpus: number) => Placement;

/** Plain nested arrays of best-known's placement, for a test to tamper with. */
function bestPlain(weight: Weights): { phy2log: number[][]; log2phy: number[][][]; logcnt: number[][] } {
  const p = best.rebalanceExperts(weight, 288, 8, 4, 32);
  return {
    phy2log: p.phy2log.map((r) => Array.from(r)),
    log2phy: p.log2phy.map((l) => l.map((r) => Array.from(r))),
    logcnt: p.logcnt.map((r) => Array.from(r)),
  };
}

/** The expert with the most load in layer 0 of a window. */
function hottest(weight: Weights): number {
  const row = weight[0] as readonly number[];
  return row.indexOf(Math.max(...row));
}

/** Layer 0's log2phy lists of a plain placement. */
function layer0(p: ReturnType<typeof bestPlain>): number[][] {
  return p.log2phy[0] as number[][];
}

/** A program that returns best-known's placement altered by `tamper` on every window. */
function tampered(tamper: (p: ReturnType<typeof bestPlain>, weight: Weights) => unknown): {
  rebalanceExperts: Program;
} {
  return { rebalanceExperts: ((weight: Weights) => tamper(bestPlain(weight), weight)) as Program };
}

async function scoreOf(program: Record<string, unknown>) {
  return evaluate(program, "train", { workloads: few });
}

test("check validates and simulates a placement; the next window decides the balance", () => {
  const w = few[0];
  assert.ok(w);
  const output = JSON.parse(JSON.stringify(run(best, w.input), typedArrays));
  const result = task.check(w, output);
  assert.equal(result.valid, true);
  const b = result.metrics.balance as number;
  assert.ok(b > 0.3 && b < 1, `balance ${b}`);
  assert.ok((result.metrics.balance_slots as number) < b);
  assert.ok(Number.isInteger(result.metrics.worst_layer));
  // The worst layer is at least as unbalanced as the whole: Σ max ≤ worst ratio · Σ mean.
  assert.ok((result.metrics.worst_layer_ratio as number) >= 1 / b - 1e-9);
});

test("aggregate: 90 · mean balance plus speed points from the sandbox's times, first call left out", () => {
  const results: WorkloadResult[] = few.map((w, i) => ({
    workload: w.id,
    valid: true,
    metrics: { balance: 0.6 + 0.1 * i, balance_slots: 0.2 },
    durationMs: i === 0 ? 500 : 2,
  }));
  const r = task.aggregate("train", results, few);
  assert.ok(Math.abs(r.score - (90 * 0.7 + 5)) < 1e-9, `${r.score}`);
  assert.equal(r.metrics.time_ms, 2);
  assert.ok(Math.abs((r.metrics.balance as number) - 0.7) < 1e-12);
  // A call without a measured time: no speed points at all.
  const untimed = results.map((x, i) => (i === 2 ? { ...x, durationMs: undefined } : x));
  assert.ok(Math.abs(task.aggregate("train", untimed, few).score - 63) < 1e-9);
  assert.equal(meanCallMs([]), undefined);
  assert.equal(meanCallMs([{ workload: "a", valid: true, metrics: {}, durationMs: 3 }]), 3);
  // Any invalid or missing window: 0.
  assert.equal(task.aggregate("train", results.slice(1), few).score, 0);
  const broken = results.map((x, i) => (i === 1 ? { ...x, valid: false, error: "x" } : x));
  assert.deepEqual(task.aggregate("train", broken, few), { score: 0, metrics: { invalid: 1 } });
});

test("feedback: invalid windows, the balance and time, then the worst windows, briefly", () => {
  const results: WorkloadResult[] = few.map((w, i) => ({
    workload: w.id,
    valid: i !== 1,
    metrics: (i === 1 ? {} : { balance: 0.6 + 0.1 * i, worst_layer: 7, worst_layer_ratio: 1.9 }) as Record<
      string,
      number
    >,
    durationMs: 4,
    ...(i === 1 ? { error: "logcnt[0] sums to 287, expected 288 (one replica per slot)" } : {}),
  }));
  const text = task.feedback?.(results, few) ?? "";
  const lines = text.split("\n");
  assert.match(lines[0] ?? "", /^window_01: invalid: logcnt\[0\] sums to 287/);
  assert.match(
    lines[1] ?? "",
    /balance over 2 of 3 windows: 0\.7000 \(63\.0 points\); mean call time 4\.00 ms \(2\.5 speed points\)/,
  );
  assert.match(lines[3] ?? "", /^ {2}window_00: 0\.6000; layer 7: max GPU load 1\.90× the mean/);
  assert.ok(lines.length <= 10);
});

test("the driver needs the entry, copies the maps into flat integer arrays and names what is malformed", () => {
  const w = few[0];
  assert.ok(w);
  assert.throws(() => run({}, w.input), /export a function `rebalanceExperts\(weight, numReplicas/);
  assert.throws(() => run({ rebalanceExperts: () => null }, w.input), /must return an object .* got null/);
  const bad = (change: (p: ReturnType<typeof bestPlain>) => void) =>
    tampered((p) => {
      change(p);
      return p;
    });
  assert.throws(
    () =>
      run(
        bad((p) => {
          (p.log2phy[3] as unknown[])[5] = 7;
        }),
        w.input,
      ),
    /log2phy\[3\]\[5\] must be an array, got 7/,
  );
  assert.throws(
    () =>
      run(
        bad((p) => {
          (p.phy2log[2] as unknown[])[1] = "4";
        }),
        w.input,
      ),
    /phy2log\[2\]\[1\] must be an integer, got string/,
  );
  assert.throws(
    () =>
      run(
        bad((p) => {
          (p.log2phy[0] as number[][])[2] = [0.5];
        }),
        w.input,
      ),
    /log2phy\[0\]\[2\]\[0\] must be an integer, got 0.5/,
  );
  assert.throws(
    () =>
      run(
        bad((p) => {
          (p as Record<string, unknown>).logcnt = new Map();
        }),
        w.input,
      ),
    /logcnt must be an array, got an object/,
  );
});

// ---------------------------------------------------------------------------
// Reward-hack routes of the published evaluator (adrs-tasks.md §3.1, §6): each
// gains nothing here. The honest program on the same windows scores above 55.

test("route: maps that disagree (phy2log packs, log2phy claims a spread) make the split score 0", async () => {
  const honest = await scoreOf(best);
  assert.ok(honest.score > 55, `${honest.score}`);
  const program = tampered((p, weight) => {
    // Claim the hottest expert's replicas sit on slots of other experts, leaving phy2log alone.
    const e = hottest(weight);
    const list = p.log2phy[0]?.[e] as number[];
    const other = (p.phy2log[0] as number[]).findIndex((x) => x !== e);
    list[0] = other;
    return p;
  });
  const r = await scoreOf(program);
  assert.equal(r.score, 0);
  assert.match(r.results[0]?.error ?? "", /but phy2log\[0\]\[\d+\] = \d+, not \d+/);
});

test("route: a slot listed twice (the published scatter would drop load) makes the split score 0", async () => {
  const program = tampered((p, weight) => {
    // Give the hottest expert a second replica on its own slot, taking the slot of a cold expert.
    const e = hottest(weight);
    const counts = p.logcnt[0] as number[];
    const cold = counts.findIndex((c, x) => c >= 2 && x !== e);
    counts[cold] = (counts[cold] as number) - 1;
    (layer0(p)[cold] as number[]).pop();
    counts[e] = (counts[e] as number) + 1;
    const list = p.log2phy[0]?.[e] as number[];
    list.push(list[0] as number);
    return p;
  });
  const r = await scoreOf(program);
  assert.equal(r.score, 0);
  assert.match(r.results[0]?.error ?? "", /^slot \d+ of layer 0 is listed twice in log2phy\[0\]\[\d+\]$/);
});

test("route: −1 as a replica's slot (the published evaluator put it on slot 287) makes the split score 0", async () => {
  const program = tampered((p, weight) => {
    // The hottest expert takes a replica from a cold one and "places" it at −1.
    const e = hottest(weight);
    const counts = p.logcnt[0] as number[];
    const cold = counts.findIndex((c, x) => c >= 2 && x !== e);
    counts[cold] = (counts[cold] as number) - 1;
    (layer0(p)[cold] as number[]).pop();
    counts[e] = (counts[e] as number) + 1;
    (layer0(p)[e] as number[]).push(-1);
    return p;
  });
  const r = await scoreOf(program);
  assert.equal(r.score, 0);
  assert.match(r.results[0]?.error ?? "", /^log2phy\[0\]\[\d+\]\[\d+\] is -1, not a slot index in 0..287$/);
});

test("route: dropping a loaded expert (no replica, its slot to a hot one) makes the split score 0", async () => {
  const program = tampered((p, weight) => {
    const e = hottest(weight);
    const row = weight[0] as readonly number[];
    const counts = p.logcnt[0] as number[];
    // The least loaded expert gives up its only replica to the hottest.
    let victim = 0;
    for (let x = 0; x < row.length; x++) if ((row[x] as number) < (row[victim] as number)) victim = x;
    const slot = p.log2phy[0]?.[victim]?.[0] as number;
    counts[victim] = 0;
    (p.log2phy[0] as number[][])[victim] = [];
    counts[e] = (counts[e] as number) + 1;
    (layer0(p)[e] as number[]).push(slot);
    (p.phy2log[0] as number[])[slot] = e;
    return p;
  });
  const r = await scoreOf(program);
  assert.equal(r.score, 0);
  assert.match(
    r.results[0]?.error ?? "",
    /has no replica \(logcnt\[0\]\[\d+\] = 0\) but receives \d+ tokens in the next window/,
  );
});

test("route: a claimed balance or time in the output is ignored", async () => {
  const honest = await evaluate(best, "train", { workloads: few, timed: false });
  const program = tampered((p) => ({ ...p, balance: 1, durationMs: 0, score: 100 }));
  const r = await evaluate(program, "train", { workloads: few, timed: false });
  assert.deepEqual(r.metrics, honest.metrics);
  assert.equal(r.metrics.speed_points, 0);
});

test("route: the next window is not in what the program receives", () => {
  const trace = splitTrace("train");
  for (const [i, w] of trace.workloads.entries()) {
    assert.deepEqual(Object.keys(w.input).sort(), [
      "numGpus",
      "numGroups",
      "numNodes",
      "numReplicas",
      "weight",
    ]);
    assert.notDeepEqual(w.input.weight, trace.next[i]);
  }
});

test("route: work deferred to when the result is read (getters, proxies) runs inside the timed call", () => {
  const w = few[0];
  assert.ok(w);
  let reads = 0;
  const lazy = {
    rebalanceExperts(weight: Weights) {
      const p = bestPlain(weight);
      const spy = <T extends object>(rows: T[]) =>
        rows.map(
          (row) =>
            new Proxy(row, {
              get(target, key, receiver) {
                reads++;
                return Reflect.get(target, key, receiver);
              },
            }),
        );
      return {
        get phy2log() {
          reads++;
          return spy(p.phy2log);
        },
        log2phy: p.log2phy.map((l) => spy(l)),
        logcnt: spy(p.logcnt),
        toJSON() {
          reads += 1_000_000;
          return {};
        },
      };
    },
  };
  const output = run(lazy, w.input);
  const during = reads;
  assert.ok(during > 288 * 58, `${during} reads inside the call`);
  // Serialising the output (what the sandbox does after the timer stops) touches nothing of the program's.
  const json = JSON.stringify(output, typedArrays);
  assert.equal(reads, during);
  assert.equal(task.check(w, JSON.parse(json)).valid, true);
});
