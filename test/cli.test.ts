import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "./support/run-helpers.ts";

const root = join(import.meta.dirname, "..");
const cli = join(root, "bin", "adrs.js");

function adrs(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    encoding: "utf8",
    env: { ...process.env, OPENAI_API_KEY: "" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("adrs tasks lists txn-scheduling, as text and JSON", () => {
  const text = adrs("tasks");
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^txn-scheduling\s+\S/m);
  const json = JSON.parse(adrs("tasks", "--json").stdout) as { id: string; title: string }[];
  assert.ok(json.some((t) => t.id === "txn-scheduling" && t.title.length > 0));
});

test("adrs run without a model says so, runs the tuner, and status and best report the run", () => {
  const out = join(tempDir("cli"), "run");
  const run = adrs("run", "txn-scheduling", "--iterations", "4", "--out", out, "--seed", "3", "--ordered");
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /No model is configured.*tuner/);
  assert.match(run.stdout, /stopped \(iterations\)/);

  const status = JSON.parse(adrs("status", out, "--json").stdout);
  assert.equal(status.state, "stopped");
  assert.equal(status.iterations, 4);
  assert.equal(status.evaluations, 5);
  assert.equal(status.costUsd, 0);
  assert.equal(typeof status.best.id, "string");
  assert.ok(status.best.score > 0);
  assert.equal(typeof status.best.testScore, "number");

  const file = join(out, "best.ts");
  const best = adrs("best", out, "--out", file, "--json");
  assert.equal(best.code, 0, best.stderr);
  const report = JSON.parse(best.stdout);
  assert.equal(report.id, status.best.id);
  assert.equal(report.score, status.best.score);
  assert.equal(readFileSync(file, "utf8"), report.code);
  assert.match(report.code, /EVOLVE-BLOCK-START/);

  // The resolved config is in the run directory, --ordered as concurrency.ordered.
  const stored = readFileSync(join(out, "config.yaml"), "utf8");
  assert.match(stored, /task: txn-scheduling/);
  assert.match(stored, /concurrency:\n( {2}.*\n)* {2}ordered: true\n/);
  // A second run into the same directory is refused, pointing at resume.
  const again = adrs("run", "txn-scheduling", "--out", out);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already holds a run.*adrs resume/);
});

test("adrs eval scores a program on train and test; an invalid one reports why", () => {
  const ref = join(root, "tasks", "txn-scheduling", "references", "identity.ts");
  const good = JSON.parse(adrs("eval", "txn-scheduling", ref, "--json").stdout);
  assert.equal(good.valid, true);
  assert.equal(good.score, 0);
  assert.equal(good.metrics.makespan, 537);
  assert.equal(typeof good.testScore, "number");
  assert.equal(good.error, null);

  const bad = join(tempDir("cli"), "bad.ts");
  writeFileSync(bad, "export function schedule(w: { size: number }) { return [0, 0, 1]; }\n");
  const r = adrs("eval", "txn-scheduling", bad, "--json");
  assert.equal(r.code, 1);
  const report = JSON.parse(r.stdout);
  assert.equal(report.valid, false);
  assert.equal(report.score, 0);
  assert.match(JSON.stringify(report), /appears twice/);
});

test("a bad config gets an error naming the file and the key path", () => {
  const dir = tempDir("cli");
  const file = join(dir, "run.yaml");
  writeFileSync(
    file,
    "task: txn-scheduling\nmodels:\n  - model: openai:gpt-5-mini\n    weight: heavy\nbudget:\n  iterationz: 3\n",
  );
  const r = adrs("run", "--config", file);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: models\\.0\\.weight: expected a number`),
  );
  assert.match(r.stderr, /budget: unknown key "iterationz"/);

  writeFileSync(file, "task: [unclosed\n");
  const yaml = adrs("run", "--config", file);
  assert.equal(yaml.code, 2);
  assert.match(yaml.stderr, /run\.yaml:\d+:\d+/);

  const unknown = adrs("run", "no-such-task", "--iterations", "1", "--out", join(dir, "x"));
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown task "no-such-task".*txn-scheduling/);

  const flag = adrs("run", "txn-scheduling", "--iterations", "many");
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /--iterations must be an integer/);
});
