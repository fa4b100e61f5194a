import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { run } from "../driver.ts";
import * as bestKnown from "../references/best-known.ts";
import * as roundRobin from "../initial.ts";
import type { ScenarioInput } from "../simulator.ts";
import task from "../task.ts";
import { publishedWorkloads } from "../workloads.ts";
import { evaluate } from "./helpers.ts";
import { assertBundlesAsImported } from "../../../test/support/bundle-run.ts";

const taskDir = join(import.meta.dirname, "..");

/** The published evaluator's score (2 decimals) from a mean bill. */
const publishedScore = (bill: number) => Math.round((10_000 * (146.88 - bill)) / (146.88 - 46.7088)) / 100;

test("round robin (the initial program): the published 82.19 and 64.58 under the published rules, about 65 under ours", async () => {
  const published = await evaluate(roundRobin, await publishedWorkloads());
  assert.ok(Math.abs((published.metrics.bill as number) - 82.19) < 0.005, `bill ${published.metrics.bill}`);
  assert.equal(publishedScore(published.metrics.bill as number), 64.58);
  const scenarios = published.results.map((r) => Math.round((r.metrics.bill as number) * 10) / 10);
  assert.deepEqual(scenarios, [135.8, 62.6, 67.2, 127.2, 52.4, 48.0]);
  const train = await evaluate(roundRobin, "train");
  const heldOut = await evaluate(roundRobin, "test");
  assert.ok(train.score > 63 && train.score < 67, `train ${train.score}`);
  assert.ok(heldOut.score > 63 && heldOut.score < 67, `test ${heldOut.score}`);
  const initial = await evaluate(await import("../initial.ts"), "train");
  assert.deepEqual(initial.metrics, train.metrics);
});

test("best known: at least 72 on train and under the published rules, about 72 on test", async () => {
  const train = await evaluate(bestKnown, "train");
  const heldOut = await evaluate(bestKnown, "test");
  assert.ok(train.score >= 72, `train ${train.score}`);
  assert.ok(heldOut.score > 71.5, `test ${heldOut.score}`);
  assert.equal(train.metrics.misses, 0);
  const rr = await evaluate(roundRobin, "test");
  assert.ok(heldOut.score > rr.score + 5);
  const published = await evaluate(bestKnown, await publishedWorkloads());
  assert.ok(publishedScore(published.metrics.bill as number) >= 72, `published ${published.metrics.bill}`);
});

test("the driver needs createPolicy returning a function, and actions it knows", () => {
  const ones = () => Array.from({ length: 962 }, () => 1);
  const trace = { id: 0, available: ["1".repeat(962), "1".repeat(962)], prices: [ones(), ones()] };
  const input: ScenarioInput = { regions: ["a", "b"], traces: [trace], runs: [0] };
  assert.throws(() => run({}, input), /export a function `createPolicy\(job\)`/);
  assert.throws(() => run({ createPolicy: () => null }, input), /run 0: .*returned null, not a function/);
  assert.throws(
    () => run({ createPolicy: () => () => ({ type: "spot" }) }, input),
    /run 0, tick 0: the policy returned an object with type "spot"; expected "SPOT", "ON_DEMAND", "NONE" or \{ type, region \}/,
  );
  for (const region of [2, -1, 0.5, "1"]) {
    assert.throws(
      () => run({ createPolicy: () => () => ({ type: "SPOT", region }) }, input),
      /run 0, tick 0: the policy asked for region .*; regions are 0\.\.1/,
    );
  }
  const seen: number[] = [];
  const out = run(
    {
      createPolicy: (job: { regions: number }) => {
        seen.push(job.regions);
        return (t: { tick: number }) => (t.tick === 0 ? { type: "SPOT", region: 1 } : "SPOT");
      },
    },
    input,
  );
  assert.deepEqual(seen, [2]);
  assert.equal(out.decisions[0]?.slice(0, 6), "S1S1S1");
});

test("initial program and references bundle for the sandbox and give the in-process result", async () => {
  const workload = (await task.workloads("train"))[4];
  assert.ok(workload);
  await assertBundlesAsImported({
    taskDir,
    files: ["initial.ts", "references/best-known.ts"],
    workloads: [workload],
    run,
    check: (w, output) => task.check(w, output),
  });
});

test("the initial program's EVOLVE block holds the entry, a tunable constant and no imports", () => {
  const code = readFileSync(join(taskDir, "initial.ts"), "utf8");
  const block = /\/\/ EVOLVE-BLOCK-START\n([\s\S]*)\/\/ EVOLVE-BLOCK-END/.exec(code)?.[1];
  assert.ok(block);
  assert.match(block, /export function createPolicy\(job: Job\): Policy/);
  assert.match(block, /const GUARD_RESTARTS = 2;/);
  assert.doesNotMatch(block, /^import /m);
});
