import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { test } from "node:test";
import { build } from "esbuild";
import { run } from "../driver.ts";
import task from "../task.ts";
import { evaluate, typedArrays } from "./helpers.ts";

const taskDir = join(import.meta.dirname, "..");
const baseline = await import("../references/baseline.ts");
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

test("the initial program is the baseline reference (DeepSeek's hierarchical EPLB)", () => {
  assert.equal(
    readFileSync(join(taskDir, "initial.ts"), "utf8"),
    readFileSync(join(taskDir, "references/baseline.ts"), "utf8"),
  );
});

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
});

/**
 * Bundles a program's code the way a candidate is bundled (its `./api.ts`
 * resolved against the task folder, platform neutral, an IIFE) and runs it in
 * a fresh realm on one input.
 */
async function bundleAndRun(code: string, input: unknown): Promise<unknown> {
  const result = await build({
    stdin: {
      contents: [
        'import * as candidate from "adrs:candidate";',
        'import { run } from "./driver.ts";',
        "globalThis.__adrs = { run: (input) => run(candidate, input) };",
      ].join("\n"),
      resolveDir: taskDir,
      loader: "ts",
    },
    bundle: true,
    platform: "neutral",
    format: "iife",
    write: false,
    logLevel: "silent",
    plugins: [
      {
        name: "candidate",
        setup(b) {
          b.onResolve({ filter: /^adrs:candidate$/ }, () => ({ path: "candidate", namespace: "candidate" }));
          b.onLoad({ filter: /.*/, namespace: "candidate" }, () => ({
            contents: code,
            loader: "ts",
            resolveDir: taskDir,
          }));
        },
      },
    ],
  });
  const context: { __adrs?: { run(input: unknown): unknown } } = {};
  runInNewContext(result.outputFiles[0]?.text ?? "", context);
  return JSON.parse(JSON.stringify(context.__adrs?.run(input), typedArrays));
}

test("the initial program and references bundle for the sandbox and give the in-process result", async () => {
  const [w] = await task.workloads("train");
  assert.ok(w);
  for (const file of ["initial.ts", "references/baseline.ts", "references/best-known.ts"]) {
    const code = readFileSync(join(taskDir, file), "utf8");
    const bundled = await bundleAndRun(code, w.input);
    const direct = JSON.parse(JSON.stringify(run(await import(join(taskDir, file)), w.input), typedArrays));
    assert.deepEqual(bundled, direct, file);
    assert.equal(task.check(w, bundled).valid, true, file);
  }
});

test("the initial program's EVOLVE block holds the entry, a tunable constant and no imports", () => {
  const code = readFileSync(join(taskDir, "initial.ts"), "utf8");
  const block = /\/\/ EVOLVE-BLOCK-START\n([\s\S]*)\/\/ EVOLVE-BLOCK-END/.exec(code)?.[1];
  assert.ok(block);
  assert.match(block, /export function rebalanceExperts\(/);
  assert.match(block, /const COUNT_EXPONENT = 1\.0;/);
  assert.doesNotMatch(block, /^import /m);
});
