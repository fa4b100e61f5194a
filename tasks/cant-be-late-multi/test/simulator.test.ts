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
  type Rules,
  SPOT,
  SpotRun,
} from "../../_shared/spot-sim.ts";
import { JOB, type RegionTraces, traceOf } from "../simulator.ts";

const GAP = 195;
/** 4 ticks of work, 300 s restart, deadline 12 ticks. */
const small: Job = {
  tickSeconds: GAP,
  taskSeconds: 4 * GAP,
  deadlineSeconds: 12 * GAP,
  restartSeconds: 300,
  onDemandPrice: 3.06,
};

function regions(available: string[], prices: number[]): RegionTraces {
  return {
    id: 0,
    available,
    prices: available.map((a, r) => Array.from({ length: a.length }, () => prices[r] as number)),
  };
}

/** Drives a run with a fixed [kind, region] per tick (the last one repeats). */
function drive(t: RegionTraces, steps: [Kind, number][], rules: Rules = OUR_RULES, job = small): SpotRun {
  const run = new SpotRun(traceOf(t), job, rules);
  let i = 0;
  while (!run.begin()) {
    const [kind, region] = steps[Math.min(i, steps.length - 1)] as [Kind, number];
    run.apply(kind, region);
    i++;
  }
  return run;
}

const allSpot = "1".repeat(40);

test("moving a running job to another region restarts it under our rules; published: free for the same kind", () => {
  const t = regions([allSpot, allSpot], [1.5, 1.0]);
  // Spot in region 0 for two ticks, then ask for spot in region 1.
  const steps: [Kind, number][] = [
    [SPOT, 0],
    [SPOT, 0],
    [SPOT, 1],
  ];
  const ours = drive(t, steps, OUR_RULES);
  const published = drive(t, steps, PUBLISHED_RULES);
  assert.equal(ours.regionMoves, 1);
  assert.equal(ours.restarts, 2);
  assert.equal(published.restarts, 1);
  assert.ok(ours.finishTime > published.finishTime);
  // The same for on-demand.
  const od: [Kind, number][] = [
    [ON_DEMAND, 0],
    [ON_DEMAND, 1],
  ];
  assert.equal(drive(t, od, OUR_RULES).restarts, 2);
  assert.equal(drive(t, od, PUBLISHED_RULES).restarts, 1);
});

test("each spot tick is billed at its region's price for that tick; published bills all at the final region's first price", () => {
  // Expensive region 0 for most of the run, then a move to the cheap region 1 for the end.
  const t = regions([allSpot, allSpot], [1.7, 0.9]);
  t.prices[1] = t.prices[1]?.map((p, k) => (k === 0 ? 0.5 : p)) as number[];
  const steps: [Kind, number][] = [
    [SPOT, 0],
    [SPOT, 0],
    [SPOT, 0],
    [SPOT, 1],
  ];
  const job = { ...small, restartSeconds: 100 };
  const ours = drive(t, steps, OUR_RULES, job);
  const published = drive(t, steps, PUBLISHED_RULES, job);
  const hours = GAP / 3600;
  // Ours: ticks 0-2 at 1.7, then region 1 (a restart: 100 s) at 0.9 until done.
  assert.equal(ours.spotTicks, 6);
  assert.ok(Math.abs(ours.cost - (3 * 1.7 + 3 * 0.9) * hours) < 1e-12);
  // Published: no restart on the move, every tick at region 1's first price, 0.5.
  assert.equal(published.spotTicks, 5);
  assert.ok(Math.abs(published.cost - 5 * 0.5 * hours) < 1e-12);
});

test("spot is checked in the region asked for; moving while idle is free", () => {
  const t = regions(["0".repeat(40), allSpot], [1, 1]);
  const run = new SpotRun(traceOf(t), small);
  run.begin();
  assert.equal(run.hasSpot, false);
  assert.equal(run.spotIn(1), true);
  assert.equal(run.apply(SPOT, 0), NONE);
  assert.equal(run.spotDenied, 1);
  run.begin();
  assert.equal(run.apply(NONE, 1), NONE);
  assert.equal(run.region, 1);
  assert.equal(run.restarts, 0);
  run.begin();
  assert.equal(run.apply(SPOT, 1), SPOT);
  assert.equal(run.restarts, 1);
});

test("near the deadline the guard keeps a running job in its region", () => {
  // Wait 6 ticks, then on-demand in region 0 while asking to move to region 1 each tick.
  const t = regions(["0".repeat(40), "0".repeat(40)], [1, 1]);
  const run = drive(t, [
    [NONE, 0],
    [NONE, 0],
    [NONE, 0],
    [NONE, 0],
    [NONE, 0],
    [NONE, 0],
    [ON_DEMAND, 0],
    [ON_DEMAND, 1],
  ]);
  assert.ok(run.guardTicks > 0);
  assert.equal(run.regionMoves, 0);
  assert.equal(run.restarts, 1);
  assert.equal(run.missed, false);
});

test("no request sequence, regions included, makes a run late under our rules", () => {
  let seed = 99;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const job: Job = { ...small, taskSeconds: 60 * GAP, deadlineSeconds: 72 * GAP, restartSeconds: 720 };
  for (let trial = 0; trial < 200; trial++) {
    const avail = [0, 1, 2].map(() => Array.from({ length: 90 }, () => (next() < 0.5 ? "1" : "0")).join(""));
    const run = new SpotRun(traceOf(regions(avail, [1, 1, 1])), job);
    while (!run.begin()) run.apply(Math.floor(next() * 3) as Kind, Math.floor(next() * 3));
    assert.equal(run.missed, false);
  }
});

test("replay reads a kind letter and a region digit per tick and rejects unknown regions", () => {
  const trace = traceOf(regions([allSpot, allSpot], [1, 1]));
  const job = { ...small, restartSeconds: 100 };
  const ok = replay(trace, job, "S0S0S1S1S1S1", { withRegions: true });
  assert.ok(!("error" in ok));
  assert.equal(ok.regionMoves, 1);
  const bad = replay(trace, job, "S0S7S1S1S1S1", { withRegions: true });
  assert.ok("error" in bad);
  assert.match(bad.error, /decision 1 names region "7", not one of 0\.\.1/);
  const odd = replay(trace, job, "S0S", { withRegions: true });
  assert.ok("error" in odd && /not a multiple of 2/.test(odd.error));
});

test("the job of the published evaluation: 48 h of work, 52 h deadline, 720 s restart, 195 s ticks", () => {
  assert.deepEqual(
    { ...JOB },
    {
      tickSeconds: 195,
      taskSeconds: 172_800,
      deadlineSeconds: 187_200,
      restartSeconds: 720,
      onDemandPrice: 3.06,
    },
  );
});
