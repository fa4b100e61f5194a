/**
 * The CLI runs from its build (bin/build.mjs), never from a stale one: in a
 * clone, an edit to a source is in the very next command, however many
 * commands start at once; and the repository's tasks run without a TypeScript
 * loader, which only a task of one's own brings in.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Clone, cloneRepository, nodeIn, nodeInAsync, REPOSITORY } from "./support/clone.ts";

let clone: Clone;
before(() => {
  clone = cloneRepository();
});
after(() => clone.remove());

const adrs = (...args: string[]) => nodeIn(clone.dir, ["bin/adrs.js", ...args]);
const adrsAsync = (...args: string[]) => nodeInAsync(clone.dir, ["bin/adrs.js", ...args]);

/** Replaces text in a file of the clone; the text must be there. */
function edit(file: string, from: RegExp, to: string): void {
  const path = join(clone.dir, file);
  const text = readFileSync(path, "utf8");
  assert.match(text, from);
  writeFileSync(path, text.replace(from, to));
}

test("the first command builds the CLI, outside what git tracks", () => {
  assert.equal(existsSync(join(clone.dir, "dist")), false);
  const r = adrs("tasks");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^txn-scheduling\s+Transaction scheduling/m);
  assert.ok(existsSync(join(clone.dir, "dist", "current.json")));
  // Ignored: git lists nothing under dist/ (an untracked folder would show as "?? dist/").
  assert.equal(
    execFileSync("git", ["status", "--porcelain", "--", "dist"], { cwd: clone.dir, encoding: "utf8" }),
    "",
  );
});

test("an edit to a task or to the CLI is in the next command", () => {
  edit("tasks/txn-scheduling/task.ts", /title: "Transaction scheduling/, 'title: "Edited scheduling');
  edit("src/cli/main.ts", /"list the tasks, one line each"/, '"list the tasks (edited)"');
  const tasks = adrs("tasks");
  assert.equal(tasks.code, 0, tasks.stderr);
  assert.match(tasks.stdout, /^txn-scheduling\s+Edited scheduling/m);
  assert.match(adrs("--help").stdout, /list the tasks \(edited\)/);
});

test("commands starting together on a stale build all run the edited code", async () => {
  edit("tasks/txn-scheduling/task.ts", /title: "Edited scheduling/, 'title: "Twice edited scheduling');
  const runs = await Promise.all([adrsAsync("tasks"), adrsAsync("tasks"), adrsAsync("tasks", "--json")]);
  for (const r of runs) {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Twice edited scheduling/);
  }
});

test("the repository's tasks run without a TypeScript loader; a task of one's own brings tsx in", () => {
  const noTsx = ["--import", join(REPOSITORY, "test", "fixtures", "no-tsx.mjs"), "bin/adrs.js"];
  const tasks = nodeIn(clone.dir, [...noTsx, "tasks"]);
  assert.equal(tasks.code, 0, tasks.stderr);
  const seed = nodeIn(clone.dir, [
    ...noTsx,
    "eval",
    "txn-scheduling",
    "tasks/txn-scheduling/initial.ts",
    "--json",
  ]);
  assert.equal(seed.code, 0, seed.stderr);
  assert.equal(JSON.parse(seed.stdout).valid, true);

  const fixture = ["eval", "test/fixtures/sum-task", "test/fixtures/sum-task/initial.ts", "--json"];
  const own = nodeIn(clone.dir, [...noTsx, ...fixture]);
  assert.notEqual(own.code, 0);
  assert.match(own.stderr, /tsx was imported/);
  const loaded = adrs(...fixture);
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.equal(JSON.parse(loaded.stdout).valid, true);
});
