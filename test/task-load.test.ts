import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { listTasks, loadTask } from "../src/task/index.ts";

const fixtures = join(import.meta.dirname, "fixtures");
const sumDir = join(fixtures, "sum-task");
const badTasks = join(fixtures, "bad-tasks");

describe("loadTask", () => {
  test("loads a task folder: definition, spec, initial program and driver", async () => {
    const task = await loadTask(sumDir);
    assert.equal(task.id, "sum-task");
    assert.equal(task.version, "1");
    assert.equal(task.dir, sumDir);
    assert.deepEqual(task.metric, { name: "relError", direction: "minimize" });
    assert.match(task.spec, /^# sum-task/);
    assert.match(task.initialCode, /EVOLVE-BLOCK-START[\s\S]*export function solve[\s\S]*EVOLVE-BLOCK-END/);
    assert.equal(task.initialPath, join(sumDir, "initial.ts"));
    assert.equal(task.driverPath, join(sumDir, "driver.ts"));
    const train = await task.workloads("train");
    assert.equal(train.length, 3);
    // Methods keep their `this` (the fixture's aggregate reads this.anchors).
    const results = train.map((w) => ({ workload: w.id, valid: true, metrics: { relError: 0 } }));
    assert.equal(task.aggregate("train", results, train).score, 100);
  });

  test("loads the task.ts file itself, and a relative path", async () => {
    const byFile = await loadTask(join(sumDir, "task.ts"));
    assert.equal(byFile.id, "sum-task");
    const rel = relative(process.cwd(), sumDir);
    const byRelative = await loadTask(rel.startsWith(".") ? rel : `./${rel}`);
    assert.equal(byRelative.driverPath, join(sumDir, "driver.ts"));
  });

  test("loads by id from a tasks folder", async () => {
    const task = await loadTask("sum-task", { tasksDir: fixtures });
    assert.equal(task.dir, sumDir);
  });

  test("an unknown id lists the available tasks", async () => {
    await assert.rejects(loadTask("no-such-task", { tasksDir: fixtures }), (err: Error) => {
      assert.match(err.message, /Unknown task "no-such-task"\. Available tasks: sum-task/);
      return true;
    });
    // In the repo's own tasks folder too, whatever it holds today.
    await assert.rejects(loadTask("no-such-task"), /Unknown task "no-such-task"\. Available tasks: /);
  });

  test("an id cannot climb out of the tasks folder", async () => {
    await assert.rejects(loadTask("..", { tasksDir: fixtures }), /Task path not found|No task\.ts/);
  });

  test("a folder without task.ts names the folder", async () => {
    const empty = join(badTasks, "empty");
    await assert.rejects(loadTask(empty), (err: Error) => {
      assert.equal(err.message, `No task.ts in ${empty}: a task folder must contain task.ts`);
      return true;
    });
  });

  test("a missing path says so", async () => {
    await assert.rejects(loadTask(join(fixtures, "nowhere")), /Task path not found: .*nowhere/);
  });

  test("a task without check names the file and the field", async () => {
    const file = join(badTasks, "missing-check", "task.ts");
    await assert.rejects(loadTask(join(badTasks, "missing-check")), (err: Error) => {
      assert.ok(err.message.startsWith(`${file}: invalid task definition`), err.message);
      assert.match(err.message, /field "check" must be a function \(got nothing \(missing\)\)/);
      assert.doesNotMatch(err.message, /field "aggregate"/);
      return true;
    });
  });
});

describe("listTasks", () => {
  test("lists the task folders with their titles", async () => {
    assert.deepEqual(await listTasks({ tasksDir: fixtures }), [
      { id: "sum-task", title: "Sum a list of integers (test fixture)" },
    ]);
    assert.deepEqual(await listTasks({ tasksDir: join(fixtures, "nowhere") }), []);
  });
});
