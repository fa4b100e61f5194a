import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { run } from "../driver.ts";
import task from "../task.ts";
import { allCases } from "../workloads.ts";
import { assertBundlesAsImported } from "../../../test/support/bundle-run.ts";
import { evaluate } from "./helpers.ts";

const taskDir = join(import.meta.dirname, "..");

test("round-robin reference: score 0 on both splits", async () => {
  const program = await import("../references/baseline.ts");
  for (const split of ["train", "test"] as const) {
    const r = await evaluate(program, split);
    assert.ok(r.results.every((x) => x.valid));
    assert.equal(r.score, 0);
  }
});

test("Prism's greedy (the initial program): the published 60.8 over all 50 cases", async () => {
  const sota = await import("../initial.ts");
  const all = await evaluate(sota, "train", allCases());
  assert.ok(Math.abs(all.score - 60.8) < 0.1, `greedy over all 50 cases: ${all.score}`);
  // The published mean maximum pressure of the greedy: 0.0479.
  assert.ok(Math.abs((all.metrics.max_kvpr as number) - 0.0479) < 0.0001, `${all.metrics.max_kvpr}`);
  const train = await evaluate(sota, "train");
  const test = await evaluate(sota, "test");
  assert.ok(train.score > 50 && train.score < 62, `train ${train.score}`);
  assert.ok(test.score > 60 && test.score < 70, `test ${test.score}`);
});

test("best-known reference: the published 87.4 over all 50 cases, above 85 on each split", async () => {
  const best = await import("../references/best-known.ts");
  const all = await evaluate(best, "train", allCases());
  assert.ok(all.score >= 87.3, `best-known over all 50 cases: ${all.score}`);
  assert.ok((all.metrics.max_kvpr as number) < 0.0397, `${all.metrics.max_kvpr}`);
  for (const split of ["train", "test"] as const) {
    const r = await evaluate(best, split);
    assert.ok(r.score > 85, `${split}: ${r.score}`);
  }
});

test("the initial program and references bundle for the sandbox and give the in-process result", async () => {
  await assertBundlesAsImported({
    taskDir,
    files: ["initial.ts", "references/baseline.ts", "references/best-known.ts"],
    workloads: (await task.workloads("train")).slice(0, 1),
    run,
    check: (w, output) => task.check(w, output),
  });
});

test("the initial program's EVOLVE block holds the entry, a tunable constant and no imports", () => {
  const code = readFileSync(join(taskDir, "initial.ts"), "utf8");
  const block = /\/\/ EVOLVE-BLOCK-START\n([\s\S]*)\/\/ EVOLVE-BLOCK-END/.exec(code)?.[1];
  assert.ok(block);
  assert.match(
    block,
    /export function computeModelPlacement\(gpuNum: number, models: readonly Model\[\]\): Model\[\]\[\]/,
  );
  assert.match(block, /const GPU_MEM_SIZE = 80;/);
  assert.doesNotMatch(block, /^import /m);
});
