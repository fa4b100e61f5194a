import assert from "node:assert/strict";
import { test } from "node:test";
import type { WorkloadResult } from "../../../src/core/types.ts";
import * as bestKnown from "../references/best-known.ts";
import { isCorrect, publishedCalibrationTerm, publishedScore, scoreRepair } from "../scoring.ts";
import type { Repair, Telemetry } from "../telemetry.ts";
import task, { splitAnchors } from "../task.ts";
import { scenarioOf } from "../workloads.ts";
import { evaluate, passthrough } from "./helpers.ts";

async function firstScenario() {
  const [w] = await task.workloads("train");
  assert.ok(w);
  const s = scenarioOf(w.id);
  assert.ok(s);
  return { w, s };
}

test("train anchors: the best single-confidence passthrough is 0, a perfect repair 100", async () => {
  const anchors = splitAnchors(await task.workloads("train"));
  assert.ok(Math.abs(anchors.baseline - task.anchors.baseline) < 1e-6, `${anchors.baseline}`);
  assert.equal(anchors.target, 1);
});

test("scoring: the published terms, and ours a Brier score of 'correct within 10 %'", () => {
  assert.equal(isCorrect(100, 109), true);
  assert.equal(isCorrect(100, 112), false);
  // Below 1 Mbps the tolerance is absolute: 0.1 Mbps.
  assert.equal(isCorrect(0, 0.05), true);
  assert.equal(isCorrect(0, 0.5), false);
  // Published: accurate and confident pays 1; inaccurate and confident costs little more than unsure.
  assert.equal(publishedCalibrationTerm(100, 100, 1), 1);
  assert.equal(publishedCalibrationTerm(100, 100, 0.5), 0.75);
  assert.equal(publishedCalibrationTerm(100, 0, 0.2), 0.8);
  assert.equal(publishedCalibrationTerm(100, 0, 1), 0);
  assert.equal(publishedScore(0.8), 0);
  assert.ok(Math.abs(publishedScore(0.82) - 50) < 1e-9);
  assert.equal(publishedScore(1), 100);
  assert.ok(Math.abs(publishedScore(0.9601) - 88.92) < 0.01);
  const truth = { a: { interface_status: "up" as const, rx_rate: 100, tx_rate: 0 } };
  const s = scoreRepair(
    { a: { interface_status: ["up", "down", 1], rx_rate: [0, 50, 0.25], tx_rate: [0, 0, 1] } },
    truth,
  );
  // Counter accuracy counts only positive truths: rx is off by half.
  assert.equal(s.counter, 0.5);
  assert.equal(s.status, 0);
  assert.equal(s.calibration, 1 - (0.25 ** 2 + 0) / 2);
  assert.equal(s.wrong, 1);
  assert.equal(s.overconfident, 0);
  assert.ok(Math.abs(s.combined - (0.75 * 0.5 + 0.2 * s.calibration)) < 1e-12);
});

test("check rejects malformed repairs, saying why", async () => {
  const { w } = await firstScenario();
  const good = passthrough(0.5).repair(w.input.telemetry);
  const id = Object.keys(good)[0] as string;
  const entry = good[id] as Repair[string];
  const without = (k: string) => Object.fromEntries(Object.entries(good).filter(([x]) => x !== k));
  const cases: [unknown, RegExp][] = [
    [null, /must be an object keyed by interface id, got null/],
    [[good], /must be an object keyed by interface id, got an array/],
    [without(id), new RegExp(`interface ${id} is missing from the repair`)],
    [{ ...good, X_to_Y: entry }, /unknown interface "X_to_Y"/],
    [{ ...good, [id]: 5 }, /must be an object \{ interface_status, rx_rate, tx_rate \}/],
    [
      { ...good, [id]: { ...entry, rx_rate: 3 } },
      /rx_rate must be \[original, repaired, confidence\], got 3/,
    ],
    [
      { ...good, [id]: { ...entry, rx_rate: [1, 2] } },
      /rx_rate must be \[original, repaired, confidence\], got an array of 2/,
    ],
    [
      { ...good, [id]: { ...entry, tx_rate: [1, -2, 0.5] } },
      /tx_rate\[1\] must be a rate: a finite number ≥ 0, got -2/,
    ],
    [{ ...good, [id]: { ...entry, tx_rate: [1, null, 0.5] } }, /tx_rate\[1\] must be a rate.*got null/],
    [{ ...good, [id]: { ...entry, tx_rate: [1, "7", 0.5] } }, /tx_rate\[1\] must be a rate.*got "7"/],
    [
      { ...good, [id]: { ...entry, rx_rate: [1, 1, 1.5] } },
      /rx_rate\[2\] must be a confidence from 0 to 1, got 1\.5/,
    ],
    [{ ...good, [id]: { ...entry, rx_rate: [1, 1, -0.1] } }, /rx_rate\[2\] must be a confidence/],
    [{ ...good, [id]: { ...entry, rx_rate: [1, 1, null] } }, /rx_rate\[2\] must be a confidence.*got null/],
    [
      { ...good, [id]: { ...entry, interface_status: ["up", "UP", 1] } },
      /interface_status\[1\] must be "up" or "down"/,
    ],
  ];
  for (const [output, reason] of cases) {
    const r = task.check(w, output);
    assert.equal(r.valid, false, JSON.stringify(output)?.slice(0, 80));
    assert.match(r.error ?? "", reason);
    assert.equal(r.metrics.combined, undefined);
  }
  assert.equal(task.check(w, good).valid, true);
});

// Reward-hack routes: each closed, and a test shows a program taking it gains nothing.

test("route: blanket confidence. Published, passthrough with confidence 1 beats passthrough at 0.5; ours gives every constant 0", async () => {
  const half = await evaluate(passthrough(0.5), "train");
  const sure = await evaluate(passthrough(1), "train");
  // The published formula rewards saying "sure" about values it never checked.
  assert.ok((sure.metrics.published_score as number) > (half.metrics.published_score as number) + 5);
  for (const c of [0, 0.3, 0.5, 0.8, 0.9, 1]) {
    const r = await evaluate(passthrough(c), "train");
    assert.equal(r.score, 0, `confidence ${c}: ${r.score}`);
    assert.ok((r.metrics.combined as number) <= (r.metrics.baseline_combined as number) + 1e-9);
  }
});

test("route: leaving out interfaces (the published scorer skipped them) makes the answer invalid", async () => {
  const hideWorst = {
    repair(telemetry: Telemetry): Repair {
      const full = bestKnown.repair(telemetry, {});
      // Keep only the values it is sure of: the published scorer would then count only those.
      return Object.fromEntries(
        Object.entries(full).filter(([, e]) => e.rx_rate[2] > 0.9 && e.tx_rate[2] > 0.9),
      );
    },
  };
  const r = await evaluate(hideWorst, "train");
  assert.equal(r.score, 0);
  assert.ok(r.results.some((x) => /is missing from the repair/.test(x.error ?? "")));
});

test("route: values without confidences (published: calibration 1 when none is given) are invalid", async () => {
  const bare = {
    repair(telemetry: Telemetry): unknown {
      return Object.fromEntries(
        Object.entries(telemetry).map(([id, r]) => [
          id,
          { interface_status: r.interface_status, rx_rate: r.rx_rate, tx_rate: r.tx_rate },
        ]),
      );
    },
  };
  const r = await evaluate(bare, "train");
  assert.equal(r.score, 0);
  assert.ok(
    r.results.every((x) => !x.valid && /must be \[original, repaired, confidence\]/.test(x.error ?? "")),
  );
});

test("route: the 'original' slot and anything else in the answer are ignored", async () => {
  const honest = await evaluate(bestKnown, "train");
  const lying = {
    repair(telemetry: Telemetry, topology: Record<string, string[]>): unknown {
      const r = bestKnown.repair(telemetry, topology);
      for (const e of Object.values(r)) {
        e.rx_rate[0] = e.rx_rate[1];
        e.tx_rate[0] = e.tx_rate[1];
      }
      return { ...r };
    },
  };
  const claimed = await evaluate(lying, "train");
  assert.deepEqual(claimed.metrics, honest.metrics);
  const { w } = await firstScenario();
  const extra = { ...bestKnown.repair(w.input.telemetry, w.input.topology) } as Record<string, unknown>;
  const withScore = { ...extra };
  for (const [id, e] of Object.entries(extra)) withScore[id] = { ...(e as object), score: 1, correct: true };
  assert.deepEqual(task.check(w, withScore), task.check(w, extra));
});

test("route: a wrong status costs its share, whatever its confidence", async () => {
  const { w, s } = await firstScenario();
  const good = passthrough(0.5).repair(w.input.telemetry);
  const down: Repair = {};
  for (const [id, e] of Object.entries(good)) down[id] = { ...e, interface_status: ["up", "down", 1] };
  const a = task.check(w, good).metrics;
  const b = task.check(w, down).metrics;
  assert.equal(b.status_accuracy, 0);
  assert.ok(Math.abs((a.combined as number) - (b.combined as number) - 0.05) < 1e-12);
  assert.ok(Object.values(s.truth).every((t) => t.interface_status === "up"));
});

test("aggregate: mean scores, per-bug means, the published score beside ours; 0 when any scenario fails", async () => {
  const workloads = await task.workloads("train");
  const ok = (id: string, combined: number, published: number): WorkloadResult => ({
    workload: id,
    valid: true,
    metrics: { combined, published_combined: published, counter_accuracy: 1, wrong_counters: 2 },
  });
  const results = workloads.map((w) => ok(w.id, 0.95, 0.9));
  const { score, metrics } = task.aggregate("train", results, workloads);
  const base = splitAnchors(workloads).baseline;
  assert.ok(Math.abs(score - ((0.95 - base) / (1 - base)) * 100) < 1e-9);
  assert.equal(metrics.combined, 0.95);
  assert.equal(metrics["combined.scaled"], 0.95);
  assert.equal(metrics.wrong_counters, 240);
  assert.ok(Math.abs((metrics.published_score as number) - publishedScore(0.9)) < 1e-6);
  const broken = [
    ...results.slice(1),
    { workload: workloads[0]?.id ?? "", valid: false, metrics: {}, error: "x" },
  ];
  assert.equal(task.aggregate("train", broken, workloads).score, 0);
  assert.equal(task.aggregate("train", results.slice(1), workloads).score, 0);
});

test("feedback: per-bug means, then the worst scenarios with what went wrong", async () => {
  const workloads = await task.workloads("train");
  const results: WorkloadResult[] = workloads.map((w, i) => ({
    workload: w.id,
    valid: true,
    metrics: {
      combined: 0.9 + (i % 7) / 100,
      counter_accuracy: 0.9,
      calibration: 0.8,
      wrong_counters: i % 5,
      overconfident: 1,
      underconfident: 0,
    },
  }));
  const text = task.feedback?.(results, workloads) ?? "";
  const lines = text.split("\n");
  assert.match(lines[0] ?? "", /^mean per bug/);
  assert.match(lines[1] ?? "", /^ {2}dropped: 0\.9\d\d; 0\.900; 0\.800 \(30 scenarios\)$/);
  assert.match(lines[5] ?? "", /^worst scenarios:/);
  assert.match(
    lines[6] ?? "",
    /combined 0\.900, counter 0\.900, calibration 0\.800; \d counters off by more than 10%/,
  );
  assert.equal(lines.length, 11);
});
