import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { bundleCandidate } from "../../../src/sandbox/bundle.ts";
import { findNumericLiterals } from "../../../src/search/tuner.ts";
import type { Split } from "../../../src/core/types.ts";
import { run } from "../driver.ts";
import task, { prepare } from "../task.ts";
import { trainWorkloads } from "../workloads.ts";
import { assertBundlesAsImported } from "../../../test/support/bundle-run.ts";
import { evaluate, roundTrip, taskDir } from "./helpers.ts";

const total = (r: { metrics: Record<string, number> }, key = "cost") => r.metrics[key] as number;

// Each reference is evaluated once per split and shared between the tests below.
const evaluations = new Map<string, ReturnType<typeof evaluate>>();
function scored(file: string, split: Split): ReturnType<typeof evaluate> {
  const key = `${file} ${split}`;
  let pending = evaluations.get(key);
  if (!pending) {
    pending = import(join(taskDir, file)).then((program) => evaluate(program, split));
    evaluations.set(key, pending);
  }
  return pending;
}

test("cheapest paths (the initial program): the published 1045.86, score 26.7", async () => {
  const r = await scored("initial.ts", "train");
  assert.ok(Math.abs(total(r) - 1045.86) < 0.005, `cost ${total(r)}`);
  assert.ok(Math.abs(r.score - 26.74) < 0.01, `score ${r.score}`);
  const test = await scored("initial.ts", "test");
  assert.ok(test.results.every((x) => x.valid));
  assert.ok(test.score > 20 && test.score < 40, `test score ${test.score}`);
});

test("hub tree (greedy shared tree): above the published OpenEvolve 92.9 on train, and far above the seed on test", async () => {
  const train = await scored("references/hub-tree.ts", "train");
  assert.ok(train.score >= 92.9, `train score ${train.score}`);
  const test = await scored("references/hub-tree.ts", "test");
  const seed = await scored("initial.ts", "test");
  assert.ok(test.score > seed.score + 50, `test: hub tree ${test.score}, seed ${seed.score}`);
});

test("best known (exact shared tree, then VM time): 100 on both splits, at the egress bound, cheaper than the hub tree", async () => {
  for (const split of ["train", "test"] as const) {
    const r = await scored("references/best-known.ts", split);
    assert.ok(r.results.every((x) => x.valid));
    assert.equal(r.score, 100, `${split} score`);
    // The egress term cannot go lower: it sits at the lower bound behind the 100 anchor.
    const workloads = await task.workloads(split);
    const bound = workloads.reduce((a, w) => a + prepare(w.input).bound, 0);
    assert.ok(
      Math.abs(total(r, "egress_cost") - bound) < 1e-6,
      `${split}: egress ${total(r, "egress_cost")} vs bound ${bound}`,
    );
    const greedy = await scored("references/hub-tree.ts", split);
    assert.ok(total(r) < total(greedy), `${split}: best known ${total(r)}, hub tree ${total(greedy)}`);
    if (split === "train") assert.ok(total(r) <= 626.24, `train cost ${total(r)}`);
  }
});

test("initial program and references bundle for the sandbox and give the in-process result", async () => {
  await assertBundlesAsImported({
    taskDir,
    files: [
      "initial.ts",
      "references/hub-tree.ts",
      "references/best-known.ts",
    ],
    workloads: (await task.workloads("train")).filter((x) => x.id === "intra_azure"),
    run,
    check: (w, output) => task.check(w, output),
  });
});

test("a candidate cannot import the trusted modules: anchors (an exact egress solver), workloads, the task", async () => {
  for (const [path, reason] of [
    ["./trusted/anchors.ts", /only files directly in the task folder/],
    ["./workloads.ts", /Node built-in modules are not available/],
    ["./task.ts", /the task definition is trusted code/],
  ] as const) {
    const code = `import * as m from "${path}";\nexport function broadcast() { return m; }\n`;
    const bundle = await bundleCandidate({ code, taskDir, driverPath: join(taskDir, "driver.ts") });
    assert.equal(bundle.ok, false, path);
    assert.match(bundle.ok ? "" : bundle.error, reason, path);
  }
});

test("the initial program's EVOLVE block holds the entry, no imports, and a constant the tuner can move", () => {
  const code = readFileSync(join(taskDir, "initial.ts"), "utf8");
  const block = /\/\/ EVOLVE-BLOCK-START\n([\s\S]*)\/\/ EVOLVE-BLOCK-END/.exec(code)?.[1];
  assert.ok(block);
  assert.match(block, /export function broadcast\(problem: Problem\): Topology/);
  assert.doesNotMatch(block, /^import /m);
  assert.deepEqual(
    findNumericLiterals(code).map((l) => l.label),
    ["PRICE_EXPONENT"],
  );
});

test("the driver needs a broadcast export and passes its topology through", () => {
  const input = roundTrip(trainWorkloads()[0]?.input);
  assert.ok(input);
  assert.throws(() => run({}, input), /export a function `broadcast\(problem\)`/);
  assert.deepEqual(run({ broadcast: () => ({ a: [] }) }, input), { paths: { a: [] } });
  assert.deepEqual(run({ broadcast: () => new Map([["a", []]]) }, input), { paths: { a: [] } });
});
