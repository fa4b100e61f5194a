/** The stop rules (src/engine/stops.ts) as pure functions: which rule a run meets, and in what order. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ModelCall } from "../src/core/types.ts";
import { type RunConfig, parseRunConfig } from "../src/engine/config.ts";
import { ActiveTime, budgetStop, modelFailures, type Progress } from "../src/engine/stops.ts";

function budget(b: Record<string, unknown>): RunConfig["budget"] {
  return parseRunConfig({ task: "toy", budget: b }, "test config").budget;
}

/** A run that meets no rule: nothing spent, no time, no score, just improved. */
const fresh: Progress = {
  spentUsd: 0,
  exhausted: null,
  activeSeconds: 0,
  bestScore: 10,
  bestIteration: 4,
  lastEvaluatedIteration: 4,
};

test("no rule met, or no rule set: the run goes on", () => {
  assert.equal(budgetStop(budget({ usd: 1, timeLimit: 60, targetScore: 90, patience: 3 }), fresh), null);
  // Nothing set: however far the run has got, only iterations (the loop's) end it.
  const far = { ...fresh, spentUsd: 1e6, activeSeconds: 1e6, bestScore: 100, lastEvaluatedIteration: 1e6 };
  assert.equal(budgetStop(budget({}), far), null);
});

test("dollars: spent up to the budget, or a request the budget refused", () => {
  assert.equal(budgetStop(budget({ usd: 2 }), { ...fresh, spentUsd: 1.99 }), null);
  assert.deepEqual(budgetStop(budget({ usd: 2 }), { ...fresh, spentUsd: 2 }), {
    reason: "budget_usd",
    detail: "spent $2.0000 of $2",
  });
  const refused = "a request of $0.5 would pass the budget";
  assert.deepEqual(budgetStop(budget({ usd: 2 }), { ...fresh, spentUsd: 1, exhausted: refused }), {
    reason: "budget_usd",
    detail: refused,
  });
});

test("time limit: active seconds, earlier sessions included, reaching the limit", () => {
  assert.equal(budgetStop(budget({ timeLimit: 60 }), { ...fresh, activeSeconds: 59.9 }), null);
  assert.deepEqual(budgetStop(budget({ timeLimit: "1m" }), { ...fresh, activeSeconds: 60 }), {
    reason: "time_limit",
    detail: "ran 60 s",
  });
});

test("target score: the best reaching it", () => {
  assert.equal(budgetStop(budget({ targetScore: 80 }), { ...fresh, bestScore: 79.99 }), null);
  assert.deepEqual(budgetStop(budget({ targetScore: 80 }), { ...fresh, bestScore: 80 }), {
    reason: "target_score",
    detail: "best score 80.00 ≥ 80",
  });
});

test("patience: iterations settled since the best was found", () => {
  const since = (n: number) => ({ ...fresh, bestIteration: 10, lastEvaluatedIteration: 10 + n });
  assert.equal(budgetStop(budget({ patience: 5 }), since(4)), null);
  assert.deepEqual(budgetStop(budget({ patience: 5 }), since(5)), {
    reason: "patience",
    detail: "no improvement for 5 iterations",
  });
});

test("several rules met: dollars, then time, then target score, then patience", () => {
  const all = budget({ usd: 1, timeLimit: 10, targetScore: 50, patience: 1 });
  const met: Progress = {
    spentUsd: 1,
    exhausted: null,
    activeSeconds: 10,
    bestScore: 50,
    bestIteration: 1,
    lastEvaluatedIteration: 2,
  };
  assert.equal(budgetStop(all, met)?.reason, "budget_usd");
  assert.equal(budgetStop(all, { ...met, spentUsd: 0 })?.reason, "time_limit");
  assert.equal(budgetStop(all, { ...met, spentUsd: 0, activeSeconds: 0 })?.reason, "target_score");
  assert.equal(budgetStop(all, { ...met, spentUsd: 0, activeSeconds: 0, bestScore: 0 })?.reason, "patience");
});

/** A model call as the rule reads it: failed with `error`, or not. */
function call(error?: string): Pick<ModelCall, "error"> {
  return error ? { error } : {};
}

test("model failures: proposals whose every call failed, in a row, up to the limit", () => {
  let streak = 0;
  for (const n of [1, 2]) {
    const r = modelFailures(streak, [call("HTTP 503"), call(`HTTP 500 #${n}`)], 3);
    assert.deepEqual(r, { streak: n, stop: null });
    streak = r.streak;
  }
  assert.deepEqual(modelFailures(streak, [call("HTTP 503"), call("HTTP 429 last")], 3), {
    streak: 3,
    stop: {
      reason: "models_failing",
      detail: "3 proposals in a row lost to model errors; the last: HTTP 429 last",
    },
  });
  // One call that worked, or a proposal with no model call (a strategy's own child), ends the streak.
  assert.deepEqual(modelFailures(2, [call("HTTP 503"), call()], 3), { streak: 0, stop: null });
  assert.deepEqual(modelFailures(2, [], 3), { streak: 0, stop: null });
});

test("active time: earlier sessions' seconds plus this session's on the run's clock", () => {
  let now = 1_000_000;
  const active = new ActiveTime(30, () => now);
  assert.equal(active.seconds(), 30);
  now += 2_500;
  assert.equal(active.seconds(), 32.5);
  // No time limit: no alarm to clear.
  active.alarm(undefined, () => assert.fail("no limit, no alarm"))();
});
