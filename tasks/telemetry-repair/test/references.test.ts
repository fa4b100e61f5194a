import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { run } from "../driver.ts";
import * as initial from "../initial.ts";
import { BUGS } from "../perturb.ts";
import * as baseline from "../initial.ts";
import * as bestKnown from "../references/best-known.ts";
import * as sota from "../references/sota.ts";
import task from "../task.ts";
import { evaluate } from "./helpers.ts";
import { assertBundlesAsImported } from "../../../test/support/bundle-run.ts";

const taskDir = join(import.meta.dirname, "..");

test("passthrough (the published initial program): 0 here; about 50 under the published formula", async () => {
  const train = await evaluate(baseline, "train");
  const test = await evaluate(baseline, "test");
  assert.equal(train.score, 0);
  assert.equal(test.score, 0);
  // On our scenarios the published anchors (0 at 0.80, 50 at 0.82) put a passthrough near 50.
  assert.ok(
    Math.abs((train.metrics.published_score as number) - 52.6) < 0.5,
    `${train.metrics.published_score}`,
  );
  assert.ok(
    Math.abs((test.metrics.published_score as number) - 50.3) < 0.5,
    `${test.metrics.published_score}`,
  );
  assert.deepEqual((await evaluate(initial, "train")).metrics, train.metrics);
});

test("Hodor-style state of the art: repairs some counters, calibrates none", async () => {
  const pass = await evaluate(baseline, "train");
  for (const split of ["train", "test"] as const) {
    const r = await evaluate(sota, split);
    const p = await evaluate(baseline, split);
    assert.ok((r.metrics.counter_accuracy as number) > (p.metrics.counter_accuracy as number) + 0.02, split);
    const published = r.metrics.published_score as number;
    assert.ok(
      published > (p.metrics.published_score as number) + 3 && published < 70,
      `${split}: ${published}`,
    );
    // Its confidences are the published defaults, so our calibrated score barely moves off 0.
    assert.ok(r.score < 10, `${split}: ${r.score}`);
  }
  const train = await evaluate(sota, "train");
  assert.ok(Math.abs(train.score - 4.57) < 0.1, `${train.score}`);
  assert.ok(Math.abs((train.metrics.published_score as number) - 62.5) < 0.5);
  assert.ok((train.metrics.combined as number) > (pass.metrics.combined as number));
});

test("best known (link symmetry, then flow conservation): at least 85 under the published formula", async () => {
  for (const split of ["train", "test"] as const) {
    const best = await evaluate(bestKnown, split);
    const hodor = await evaluate(sota, split);
    assert.ok((best.metrics.published_score as number) >= 85, `${split}: ${best.metrics.published_score}`);
    assert.ok(best.score >= 60, `${split}: ${best.score}`);
    for (const bug of BUGS) {
      const b = best.metrics[`combined.${bug}`] as number;
      const h = hodor.metrics[`combined.${bug}`] as number;
      assert.ok(b > h, `${split} ${bug}: best known ${b}, Hodor ${h}`);
    }
  }
  const train = await evaluate(bestKnown, "train");
  assert.ok(Math.abs(train.score - 70.5) < 0.1, `${train.score}`);
  assert.ok(Math.abs((train.metrics.published_score as number) - 89.1) < 0.1);
});

test("initial program and references bundle for the sandbox and give the in-process answer", async () => {
  await assertBundlesAsImported({
    taskDir,
    files: ["initial.ts", "references/sota.ts", "references/best-known.ts"],
    workloads: (await task.workloads("train")).slice(0, 4),
    run,
    check: (w, output) => task.check(w, output),
  });
});

test("the initial program's EVOLVE block holds the entry and a tunable constant, and no imports", () => {
  const code = readFileSync(join(taskDir, "initial.ts"), "utf8");
  const block = /\/\/ EVOLVE-BLOCK-START\n([\s\S]*)\/\/ EVOLVE-BLOCK-END/.exec(code)?.[1];
  assert.ok(block);
  assert.match(block, /export function repair\(telemetry: Telemetry, _topology: Topology\): Repair/);
  assert.match(block, /const CONFIDENCE = 0\.5;/);
  assert.doesNotMatch(block, /^import /m);
});
