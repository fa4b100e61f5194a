import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { run } from "../driver.ts";
import * as bestKnown from "../references/best-known.ts";
import * as greedy from "../initial.ts";
import * as uniformProgress from "../references/uniform-progress.ts";
import task from "../task.ts";
import { publishedWorkloads } from "../workloads.ts";
import { evaluate } from "./helpers.ts";
import { assertBundlesAsImported } from "../../../test/support/bundle-run.ts";

const taskDir = join(import.meta.dirname, "..");

/** The published evaluator's integer score from a mean bill. */
const publishedScore = (bill: number) => Math.round((100 * (146.88 - bill)) / (146.88 - 46.7088));

test("greedy (the initial program): about 28, and exactly the published 119.03 under the published rules", async () => {
  const train = await evaluate(greedy, "train");
  const heldOut = await evaluate(greedy, "test");
  assert.ok(train.score > 26 && train.score < 30, `train ${train.score}`);
  assert.ok(heldOut.score > 26 && heldOut.score < 30, `test ${heldOut.score}`);
  const published = await evaluate(greedy, await publishedWorkloads());
  assert.ok(Math.abs((published.metrics.bill as number) - 119.03) < 0.005, `bill ${published.metrics.bill}`);
  assert.equal(publishedScore(published.metrics.bill as number), 28);
  const initial = await evaluate(await import("../initial.ts"), "train");
  assert.deepEqual(initial.metrics, train.metrics);
});

test("Uniform Progress: about 48, the published 99.23 under the published rules (112 runs late there)", async () => {
  const train = await evaluate(uniformProgress, "train");
  const heldOut = await evaluate(uniformProgress, "test");
  assert.ok(train.score > 45 && train.score < 50, `train ${train.score}`);
  assert.ok(heldOut.score > 45 && heldOut.score < 50, `test ${heldOut.score}`);
  assert.equal(train.metrics.misses, 0);
  const published = await evaluate(uniformProgress, await publishedWorkloads());
  assert.ok(Math.abs((published.metrics.bill as number) - 99.23) < 0.005, `bill ${published.metrics.bill}`);
  assert.equal(publishedScore(published.metrics.bill as number), 48);
  assert.equal(published.metrics.misses, 112);
});

test("best known: about 52, above Uniform Progress on both splits", async () => {
  const train = await evaluate(bestKnown, "train");
  const heldOut = await evaluate(bestKnown, "test");
  const up = await evaluate(uniformProgress, "train");
  const upHeldOut = await evaluate(uniformProgress, "test");
  assert.ok(train.score > 50.5, `train ${train.score}`);
  assert.ok(heldOut.score > 52, `test ${heldOut.score}`);
  assert.ok(train.score > up.score + 3 && heldOut.score > upHeldOut.score + 3);
  const published = await evaluate(bestKnown, await publishedWorkloads());
  assert.equal(publishedScore(published.metrics.bill as number), 52);
});

test("the driver needs createPolicy returning a function, and decisions it knows", () => {
  const input = {
    traces: ["1".repeat(400)],
    traceIds: ["t"],
    runs: [{ trace: 0, deadlineHours: 52, restartHours: 0.02 }],
  };
  assert.throws(() => run({}, input), /export a function `createPolicy\(job\)`/);
  assert.throws(() => run({ createPolicy: () => 3 }, input), /run 0 .*returned 3, not a function/);
  assert.throws(
    () => run({ createPolicy: () => () => "spot" }, input),
    /run 0 \(deadline 52 h, restart 0\.02 h\), tick 0: the policy returned "spot"; expected "SPOT", "ON_DEMAND" or "NONE"/,
  );
  assert.throws(
    () =>
      run(
        {
          createPolicy: () => (t: { tick: number }) => {
            if (t.tick === 7) throw new Error("boom");
            return "SPOT";
          },
        },
        input,
      ),
    /run 0 \(deadline 52 h, restart 0\.02 h\), tick 7: boom/,
  );
  const out = run({ createPolicy: () => () => "SPOT" }, input);
  assert.equal(out.decisions[0], "S".repeat(289));
});

test("initial program and references bundle for the sandbox and give the in-process result", async () => {
  const workload = (await task.workloads("train"))[1];
  assert.ok(workload);
  await assertBundlesAsImported({
    taskDir,
    files: [
      "initial.ts",
      "references/uniform-progress.ts",
      "references/best-known.ts",
    ],
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
