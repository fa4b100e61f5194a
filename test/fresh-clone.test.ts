/**
 * The README's commands, run as a new user runs them: in a clone of the
 * repository in an empty temporary folder, with nothing beside it (so no
 * sibling data folder can be found) and ADRS_DATA_DIR unset. node_modules is
 * linked in to save the install. The clone is of HEAD with the working tree's
 * changes to tracked files applied: a new file must be added to git to be in it.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";

const repo = resolve(import.meta.dirname, "..");
const readme = readFileSync(join(repo, "README.md"), "utf8");
let folder = "";
let clone = "";

function git(cwd: string, args: string[], input?: Buffer): Buffer {
  return execFileSync("git", args, { cwd, input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 << 20 });
}

before(() => {
  folder = mkdtempSync(join(tmpdir(), "adrs-fresh-"));
  clone = join(folder, "adrs");
  git(folder, ["clone", "--quiet", repo, clone]);
  const changes = git(repo, ["diff", "HEAD", "--binary"]);
  if (changes.length > 0) git(clone, ["apply", "--whitespace=nowarn"], changes);
  symlinkSync(join(repo, "node_modules"), join(clone, "node_modules"), "dir");
});
after(() => rmSync(folder, { recursive: true, force: true }));

/** The environment of a new user: no data folder override, no model keys. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    "ADRS_DATA_DIR",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "NODE_TEST_CONTEXT",
    "NODE_OPTIONS",
  ]) {
    delete env[name];
  }
  return env;
}

/** Runs a README command line (`node bin/adrs.js …`) in the clone, with extra arguments. */
function runInClone(command: string, ...extra: string[]) {
  assert.ok(readme.includes(command), `the README shows \`${command}\``);
  const [program, ...args] = command.split(" ");
  assert.equal(program, "node");
  const r = spawnSync(process.execPath, [...args, ...extra], {
    cwd: clone,
    encoding: "utf8",
    env: userEnv(),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("the clone stands alone: nothing beside it, the data inside it", () => {
  assert.deepEqual(readdirSync(folder), ["adrs"]);
  assert.equal(existsSync(join(clone, "..", "shared")), false);
  assert.ok(existsSync(join(clone, "data", "txn-scheduling", "workloads.json")));
});

test("a fresh clone scores the seed program with the README's eval command", () => {
  const r = runInClone("node bin/adrs.js eval txn-scheduling tasks/txn-scheduling/initial.ts", "--json");
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.valid, true);
  assert.ok(report.score > 0, `the seed scores above the baseline, got ${report.score}`);
  assert.equal(typeof report.testScore, "number");
});

test("a fresh clone runs the README's first command (3 iterations)", () => {
  const r = runInClone("node bin/adrs.js run txn-scheduling", "--iterations", "3", "--json");
  assert.equal(r.code, 0, r.stderr);
  const outcome = JSON.parse(r.stdout);
  assert.equal(outcome.reason, "iterations");
  assert.equal(outcome.iterations, 3);
  assert.ok(resolve(clone, outcome.dir).startsWith(join(clone, "runs")), outcome.dir);
  assert.ok(outcome.best.score > 0);
  assert.equal(typeof outcome.best.testScore, "number");
});
