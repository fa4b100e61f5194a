/**
 * `adrs eval`: the test split only after a valid train split, --split,
 * --timeout and --memory-mb in place of the task's limits, --repeat with
 * medians and spreads, and errors that name the user's file.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { userEnv } from "./support/clone.ts";
import { tempDir } from "./support/run-helpers.ts";

const root = join(import.meta.dirname, "..");
const sumTask = "test/fixtures/sum-task";

function evalJson(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/adrs.js", "eval", ...args, "--json"], {
    cwd: root,
    encoding: "utf8",
    env: userEnv(),
  });
  return { code: r.status, report: JSON.parse(r.stdout), stderr: r.stderr };
}

test("a program invalid on the train split is not run on the test split, and says why", () => {
  const { code, report } = evalJson(sumTask, "test/hostile/01-infinite-loop.ts", "--timeout", "1s");
  assert.equal(code, 1);
  assert.equal(report.valid, false);
  assert.deepEqual(report.status, { train: "timeout", test: "not run" });
  // The task allows 20 s: the flag's limit is the one in force.
  assert.match(report.error, /timed out after 1000 ms/);
  assert.match(report.notRun.test, /the train split is not valid \(timeout\)/);
  assert.equal(report.testScore, null);
});

test("--split runs one split; the other is reported as not asked for", () => {
  const train = evalJson(sumTask, `${sumTask}/initial.ts`, "--split", "train");
  assert.equal(train.code, 0, train.stderr);
  assert.deepEqual(train.report.status, { train: "ok", test: "not run" });
  assert.equal(typeof train.report.score, "number");
  assert.equal(train.report.testScore, null);
  assert.match(train.report.notRun.test, /--split/);

  const test = evalJson(sumTask, `${sumTask}/initial.ts`, "--split", "test");
  assert.equal(test.code, 0, test.stderr);
  assert.deepEqual(test.report.status, { train: "not run", test: "ok" });
  assert.equal(test.report.score, null);
  assert.equal(typeof test.report.testScore, "number");
  assert.equal(test.report.valid, true);
});

test("--memory-mb replaces the task's memory limit", () => {
  const { code, report } = evalJson(
    sumTask,
    "test/hostile/03-array-bomb.ts",
    "--memory-mb",
    "40",
    "--split",
    "train",
  );
  assert.equal(code, 1);
  assert.equal(report.status.train, "crash");
  assert.match(report.error, /heap limit of 40 MB exceeded/);
});

test("--repeat evaluates every time and reports the median and spread of each score and metric", () => {
  // A program whose error differs on every run: only runs that really happen can differ.
  const file = join(tempDir("eval"), "noisy.ts");
  writeFileSync(
    file,
    "export function solve(xs: readonly number[]) {\n  let s = 0;\n  for (const x of xs) s += x;\n  return { sum: s * (1 + Math.random() / 100) };\n}\n",
  );
  const { code, report } = evalJson(sumTask, file, "--repeat", "3");
  assert.equal(code, 0);
  assert.equal(report.repeat.runs, 3);
  for (const split of ["train", "test"] as const) {
    const { score, metrics } = report.repeat[split];
    assert.ok(score.min <= score.median && score.median <= score.max);
    assert.equal(score.spread, score.max - score.min);
    assert.ok(score.spread > 0, `${split}: three runs of a random program differ`);
    assert.ok(metrics.relError.spread > 0);
  }
  assert.equal(report.score, report.repeat.train.score.median);
  assert.equal(report.metrics.relError, report.repeat.train.metrics.relError.median);
});

test("errors in a program name the user's file and line", () => {
  const thrown = evalJson("test/fixtures/cli/failing-seed", "test/fixtures/cli/failing-seed/initial.ts");
  assert.equal(thrown.code, 1);
  assert.match(
    thrown.report.error,
    /at Object\.value \(test\/fixtures\/cli\/failing-seed\/initial\.ts:3:\d+\)/,
  );

  const python = join(tempDir("eval"), "policy.py");
  writeFileSync(python, "def schedule(workload):\n    return []\n");
  const compiled = evalJson("txn-scheduling", python);
  assert.equal(compiled.code, 1);
  assert.ok(compiled.report.error.startsWith(`${python}:1:`), compiled.report.error);
  assert.doesNotMatch(compiled.report.error, /program\.ts/);
});
