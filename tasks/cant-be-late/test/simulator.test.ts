import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type Job,
  type Kind,
  NONE,
  ON_DEMAND,
  OUR_RULES,
  PUBLISHED_RULES,
  replay,
  SPOT,
  SpotRun,
} from "../../_shared/spot-sim.ts";
import { traceOf } from "../simulator.ts";

const GAP = 600;
/** A small job: 3 ticks of work, deadline after 6 ticks, 100 s restart. */
const small: Job = {
  tickSeconds: GAP,
  taskSeconds: 3 * GAP,
  deadlineSeconds: 6 * GAP,
  restartSeconds: 100,
  onDemandPrice: 3.06,
};

/** Drives a run with a fixed request per tick (the last one repeats). */
function drive(availability: string, requests: Kind[], job = small, rules = OUR_RULES): SpotRun {
  const run = new SpotRun(traceOf(availability), job, rules);
  let i = 0;
  while (!run.begin()) {
    run.apply(requests[Math.min(i, requests.length - 1)] as Kind);
    i++;
  }
  return run;
}

test("spot all along: one restart, the overhead delays the finish into a fourth tick billed in full", () => {
  const run = drive("1111111111", [SPOT]);
  assert.equal(run.restarts, 1);
  assert.equal(run.spotTicks, 4);
  assert.equal(run.finishTime, 3 * GAP + 100);
  assert.equal(run.missed, false);
  assert.ok(Math.abs(run.cost - (4 * 0.9731) / 6) < 1e-12);
});

test("preemption: spot lost at a tick's start gives no work in that tick; restarting pays the overhead again", () => {
  // Spot in ticks 0-1, gone in tick 2, back from tick 3.
  const run = drive("1101111111", [SPOT]);
  // Tick 0: 500 s; tick 1: 600 s; tick 2 idle (asked for spot, none); ticks 3-4: 500 + 200 s.
  assert.equal(run.restarts, 2);
  assert.equal(run.spotDenied, 1);
  assert.equal(run.idleTicks, 1);
  assert.equal(run.spotTicks, 4);
  assert.equal(run.finishTime, 4 * GAP + 200);
});

test("a restart overhead longer than a tick is paid over several ticks", () => {
  const job = { ...small, restartSeconds: 900, deadlineSeconds: 20 * GAP };
  const run = new SpotRun(traceOf("1".repeat(20)), job);
  assert.equal(run.begin(), false);
  run.apply(ON_DEMAND);
  assert.equal(run.begin(), false);
  assert.equal(run.done, 0);
  assert.equal(run.restartLeft, 300);
  run.apply(ON_DEMAND);
  assert.equal(run.begin(), false);
  assert.equal(run.done, 300);
  assert.equal(run.restartLeft, 0);
});

test("asking for what runs continues it; switching kind restarts it", () => {
  const run = drive("1111111111", [ON_DEMAND, ON_DEMAND, SPOT, SPOT]);
  assert.equal(run.restarts, 2);
  assert.equal(run.onDemandTicks, 2);
});

test("the guard takes over when the ticks left only just cover the work plus a restart", () => {
  // No spot at all; the policy waits. 3 ticks of work + 100 s need 4 ticks: forced from tick 2.
  const run = drive("0000000000", [NONE]);
  assert.equal(run.idleTicks, 2);
  assert.equal(run.guardTicks, 4);
  assert.equal(run.onDemandTicks, 4);
  assert.equal(run.finishTime, 2 * GAP + 3 * GAP + 100);
  assert.ok(run.finishTime <= small.deadlineSeconds);
});

test("the guard keeps a running spot instance with no overhead left, even against an on-demand request", () => {
  // The 400 s restart at tick 0 uses up the spare tick: forced from tick 1, with spot running.
  const job = { ...small, deadlineSeconds: 5 * GAP, restartSeconds: 400 };
  const run = drive("1111111111", [SPOT, ON_DEMAND], job);
  assert.equal(run.guardTicks, 3);
  assert.equal(run.onDemandTicks, 0);
  assert.equal(run.restarts, 1);
});

test("our guard runs on demand at once after a preemption; the published one idles a tick and is late", () => {
  // 1740 s of work, restart 60 s, deadline 4 ticks. The restart at tick 0 uses up the spare
  // tick, so the guard decides from tick 1 with spot running; spot is gone at tick 2.
  const job = { ...small, taskSeconds: 1740, deadlineSeconds: 4 * GAP, restartSeconds: 60 };
  const ours = drive("1100000000", [SPOT], job, OUR_RULES);
  const published = drive("1100000000", [SPOT], job, PUBLISHED_RULES);
  assert.equal(ours.missed, false);
  assert.equal(published.missed, true);
  assert.equal(published.finishTime - ours.finishTime, GAP);
  // The idle tick costs nothing: the bills are the same.
  assert.ok(Math.abs(ours.cost - published.cost) < 1e-12);
});

test("no request sequence makes a run late under our rules", () => {
  let seed = 12345;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const job: Job = { ...small, taskSeconds: 40 * GAP, deadlineSeconds: 46 * GAP, restartSeconds: 360 };
  for (let trial = 0; trial < 300; trial++) {
    let availability = "";
    for (let k = 0; k < 60; k++) availability += next() < 0.5 ? "1" : "0";
    const run = new SpotRun(traceOf(availability), job);
    while (!run.begin()) run.apply(Math.floor(next() * 3) as Kind);
    assert.equal(run.missed, false, availability);
  }
});

test("running past the end of the trace is an error naming the work left", () => {
  const run = new SpotRun(traceOf("0000"), { ...small, deadlineSeconds: 100 * GAP });
  assert.throws(() => {
    while (!run.begin()) run.apply(NONE);
  }, /end of its trace \(4 ticks\) with 0\.500 h of work left/);
});

test("replay recomputes a run from its decision string and rejects strings that do not fit it", () => {
  const trace = traceOf("1101111111");
  const ok = replay(trace, small, "SSSSS");
  assert.ok(!("error" in ok));
  assert.equal(ok.ticks, 5);
  assert.equal(ok.idleTicks, 1);
  const cases: [string, RegExp][] = [
    ["SSSS", /the decisions end at tick 4 with 0\.056 h of work left/],
    ["SSSSSS", /1 decisions follow the end of the job \(it finished at tick 5\)/],
    ["SSxSS", /decision 2 is "x", not N, S or O/],
  ];
  for (const [decisions, reason] of cases) {
    const r = replay(trace, small, decisions);
    assert.ok("error" in r, decisions);
    assert.match(r.error, reason);
  }
});
