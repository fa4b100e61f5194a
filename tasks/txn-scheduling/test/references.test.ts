import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { run } from "../driver.ts";
import task from "../task.ts";
import { evaluate } from "./helpers.ts";
import { assertBundlesAsImported } from "../../../test/support/bundle-run.ts";

const taskDir = join(import.meta.dirname, "..");

test("identity reference: 537 on train, score 0", async () => {
  const r = await evaluate(await import("../references/identity.ts"), "train");
  assert.equal(r.metrics.makespan, 537);
  assert.equal(r.score, 0);
});

test("SMF (the initial program, the published baseline): about 350 on train", async () => {
  const r = await evaluate(await import("../initial.ts"), "train");
  const makespan = r.metrics.makespan as number;
  assert.ok(makespan >= 310 && makespan <= 390, `SMF total makespan ${makespan}`);
  assert.ok(r.score > 25 && r.score < 55, `SMF score ${r.score}`);
});

test("best-known reference: 218 on train (at most 220), test score at least 55, beats SMF", async () => {
  const train = await evaluate(await import("../references/best-known.ts"), "train");
  assert.ok(train.results.every((x) => x.valid));
  // Deterministic (seeded search, no clock): the README's figures.
  assert.deepEqual(
    train.results.map((x) => x.metrics.makespan),
    [155, 33, 30],
  );
  assert.equal(train.metrics.makespan, 218);
  assert.ok(train.score >= 70, `train score ${train.score}`);
  const test = await evaluate(await import("../references/best-known.ts"), "test");
  assert.deepEqual(
    test.results.map((x) => x.metrics.makespan),
    [221, 218, 37, 35, 32, 32],
  );
  assert.equal(test.metrics.makespan, 575);
  assert.ok(test.score >= 55, `test score ${test.score}`);
  const smf = await evaluate(await import("../initial.ts"), "test");
  assert.ok(test.score > smf.score + 10, `test: best-known ${test.score}, SMF ${smf.score}`);
});

test("the driver needs a schedule export and passes its result through", () => {
  const input = { txns: ["r-1 *", "w-1 *"] };
  assert.throws(() => run({}, input), /export a function `schedule\(workload\)`/);
  assert.deepEqual(run({ schedule: () => [1, 0] }, input), { schedule: [1, 0] });
  assert.deepEqual(run({ schedule: () => Int32Array.of(1, 0) }, input), { schedule: [1, 0] });
});

test("initial program and references bundle for the sandbox and give the in-process result", async () => {
  // The smallest workload keeps the slow reference quick.
  await assertBundlesAsImported({
    taskDir,
    files: ["initial.ts", "references/identity.ts", "references/best-known.ts"],
    workloads: (await task.workloads("train")).filter((x) => x.id === "workload_3"),
    run,
    check: (w, output) => task.check(w, output),
  });
});

test("the initial program's EVOLVE block holds the entry and no imports", () => {
  const code = readFileSync(join(taskDir, "initial.ts"), "utf8");
  const block = /\/\/ EVOLVE-BLOCK-START\n([\s\S]*)\/\/ EVOLVE-BLOCK-END/.exec(code)?.[1];
  assert.ok(block);
  assert.match(block, /export function schedule\(workload: Workload\): number\[\]/);
  assert.doesNotMatch(block, /^import /m);
});
