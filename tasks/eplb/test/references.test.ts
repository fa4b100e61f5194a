import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { run } from "../driver.ts";
import task from "../task.ts";
import { evaluate, typedArrays } from "./helpers.ts";
import { assertBundlesAsImported } from "../../../test/support/bundle-run.ts";

const taskDir = join(import.meta.dirname, "..");
const baseline = await import("../initial.ts");
const best = await import("../references/best-known.ts");

// Balance only: these runs are untimed (the speed ratio is in bench.ts).
const train = {
  baseline: await evaluate(baseline, "train", { timed: false }),
  best: await evaluate(best, "train", { timed: false }),
};
const held = {
  baseline: await evaluate(baseline, "test", { timed: false }),
  best: await evaluate(best, "test", { timed: false }),
};

test("baseline: valid on every window, balance about 0.66 (the published 0.66) on both splits", () => {
  for (const r of [train.baseline, held.baseline]) {
    assert.ok(r.results.every((x) => x.valid));
    const b = r.metrics.balance as number;
    assert.ok(b > 0.64 && b < 0.68, `baseline balance ${b}`);
    // Untimed: the score is the balance term alone.
    assert.ok(Math.abs(r.score - 90 * b) < 1e-9);
  }
});

test("best-known: balance equal or better than the baseline on both splits", () => {
  for (const [b, r] of [
    [train.baseline, train.best],
    [held.baseline, held.best],
  ] as const) {
    assert.ok(r.results.every((x) => x.valid));
    const gain = (r.metrics.balance as number) - (b.metrics.balance as number);
    assert.ok(gain > 0.005, `best-known ${r.metrics.balance} vs baseline ${b.metrics.balance}`);
  }
  // Deterministic: the README's figures (best known 0.6702 / 0.6672, baseline 0.6533 / 0.6573).
  const figures = [train.best, held.best, train.baseline, held.baseline].map((r) =>
    (r.metrics.balance as number).toFixed(4),
  );
  assert.deepEqual(figures, ["0.6702", "0.6672", "0.6533", "0.6573"]);
});

test("the initial program and references bundle for the sandbox and give the in-process result", async () => {
  await assertBundlesAsImported({
    taskDir,
    files: ["initial.ts", "references/best-known.ts"],
    workloads: (await task.workloads("train")).slice(0, 1),
    run,
    check: (w, output) => task.check(w, output),
    replacer: typedArrays,
  });
});

test("the initial program's EVOLVE block holds the entry, a tunable constant and no imports", () => {
  const code = readFileSync(join(taskDir, "initial.ts"), "utf8");
  const block = /\/\/ EVOLVE-BLOCK-START\n([\s\S]*)\/\/ EVOLVE-BLOCK-END/.exec(code)?.[1];
  assert.ok(block);
  assert.match(block, /export function rebalanceExperts\(/);
  assert.match(block, /const COUNT_EXPONENT = 1\.0;/);
  assert.doesNotMatch(block, /^import /m);
});
