import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { definitionProblems } from "../src/task/definition.ts";
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

describe("definitionProblems", () => {
  const file = join(sumDir, "task.ts");
  const valid = {
    id: "sum-task",
    title: "Sum",
    version: "1",
    dir: sumDir,
    metric: { name: "relError", direction: "minimize" },
    anchors: { baseline: 1, target: 0 },
    workloads: () => [],
    check: () => ({ valid: true, metrics: {} }),
    aggregate: () => ({ score: 0, metrics: {} }),
  };

  test("a valid definition, a class instance with methods and an external task have none", () => {
    assert.deepEqual(definitionProblems(valid, file), []);
    class Defined {
      id = "sum-task";
      title = "Sum";
      version = "1";
      dir = sumDir;
      metric = { name: "relError", direction: "minimize" };
      anchors = { baseline: 1, target: 0 };
      workloads() {
        return [];
      }
      check() {
        return { valid: true, metrics: {} };
      }
      aggregate() {
        return { score: 0, metrics: {} };
      }
    }
    assert.deepEqual(definitionProblems(new Defined(), file), []);
    const { check: _, ...external } = {
      ...valid,
      external: { command: ["python3", "e.py"], language: "python" },
    };
    assert.deepEqual(definitionProblems(external, file), []);
  });

  test("every problem at once, each naming its field and what it got", () => {
    const problems = definitionProblems(
      {
        ...valid,
        id: "other-task",
        title: "  ",
        dir: join(sumDir, "nowhere"),
        metric: { name: "relError", direction: "max" },
        anchors: { baseline: 2, target: 2 },
        limits: { timeoutMs: -1, memoryMb: "256" },
        files: { spec: 3 },
        check: undefined,
        stages: [
          { name: "smoke", workloads: ["small"], threshold: 150 },
          { name: "smoke", workloads: [], threshold: 10 },
          "full",
        ],
        feedback: "no",
      },
      file,
    );
    assert.deepEqual(problems, [
      'field "id" is "other-task" but the task folder is "sum-task": the id must be the folder name',
      'field "title" must be a non-empty string (got "  ")',
      `field "dir" names a folder that does not exist: ${join(sumDir, "nowhere")}`,
      'field "metric.direction" must be "minimize" or "maximize" (got "max")',
      'field "anchors.target" must differ from anchors.baseline (both are the same number)',
      'field "limits.timeoutMs" must be a positive number (got -1)',
      'field "limits.memoryMb" must be a positive number (got "256")',
      'field "files.spec" must be a file name in the task folder (got 3)',
      'field "check" must be a function (got nothing (missing))',
      'field "stages[0].threshold" must be a score from 0 to 100 (got 150)',
      'field "stages[1].workloads" must be a non-empty list of workload ids or a filter function (got an array)',
      'field "stages[2]" must be { name, workloads, threshold } (got "full")',
      'field "feedback" must be a function (got "no")',
    ]);
  });

  test("stage names repeat, external fields, a default export that is not an object", () => {
    const stages = [
      { name: "smoke", workloads: ["small"], threshold: 10 },
      { name: "smoke", workloads: () => true, threshold: 20 },
    ];
    assert.deepEqual(definitionProblems({ ...valid, stages }, file), [
      'field "stages[1].name": "smoke" appears twice',
    ]);
    const external = (e: unknown) => definitionProblems({ ...valid, check: undefined, external: e }, file);
    assert.deepEqual(external({ command: [], language: "cobol" }), [
      'field "external.command" must be a command string or a non-empty list of arguments (got an array)',
      'field "external.candidateFile": no file extension known for language "cobol": set candidateFile',
    ]);
    assert.deepEqual(external({ command: "run", language: "python", candidateFile: "../x.py" }), [
      'field "external.candidateFile" must be a file name (got "../x.py")',
    ]);
    assert.deepEqual(external("python3 e.py"), [
      'field "external" must be { command, language, candidateFile? } (got "python3 e.py")',
    ]);
    assert.deepEqual(definitionProblems([valid], file), ["the default export is an array, not an object"]);
    assert.deepEqual(definitionProblems(undefined, file), [
      "the default export is nothing (missing), not an object",
    ]);
  });
});
