/**
 * The README's commands, run as a new user runs them: in a clone of the
 * repository in an empty temporary folder, with nothing beside it and
 * ADRS_DATA_DIR unset (test/support/clone.ts).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { type Clone, cloneRepository, nodeIn, REPOSITORY } from "./support/clone.ts";

const readme = readFileSync(join(REPOSITORY, "README.md"), "utf8");
let clone: Clone;
before(() => {
  clone = cloneRepository();
});
after(() => clone.remove());

/** Runs a README command line (`node bin/adrs.js …`) in the clone, with extra arguments. */
function runReadmeCommand(command: string, ...extra: string[]) {
  assert.ok(readme.includes(command), `the README shows \`${command}\``);
  const [program, ...args] = command.split(" ");
  assert.equal(program, "node");
  return nodeIn(clone.dir, [...args, ...extra]);
}

test("the clone stands alone: nothing beside it, the data inside it", () => {
  assert.deepEqual(readdirSync(clone.folder), ["adrs"]);
  assert.equal(existsSync(join(clone.dir, "..", "shared")), false);
  assert.ok(existsSync(join(clone.dir, "data", "txn-scheduling", "workloads.json")));
});

test("a fresh clone scores the seed program with the README's eval command", () => {
  const r = runReadmeCommand(
    "node bin/adrs.js eval txn-scheduling tasks/txn-scheduling/initial.ts",
    "--json",
  );
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.valid, true);
  assert.ok(report.score > 0, `the seed scores above the baseline, got ${report.score}`);
  assert.equal(typeof report.testScore, "number");
});

test("a fresh clone runs the README's first command (3 iterations)", () => {
  const r = runReadmeCommand("node bin/adrs.js run txn-scheduling", "--iterations", "3", "--json");
  assert.equal(r.code, 0, r.stderr);
  const outcome = JSON.parse(r.stdout);
  assert.equal(outcome.reason, "iterations");
  assert.equal(outcome.iterations, 3);
  assert.ok(resolve(clone.dir, outcome.dir).startsWith(join(clone.dir, "runs")), outcome.dir);
  assert.ok(outcome.best.score > 0);
  assert.equal(typeof outcome.best.testScore, "number");
});
