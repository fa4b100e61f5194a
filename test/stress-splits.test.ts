/**
 * Every task's stress split (docs/audit.md): the same on every call, each
 * workload labelled with what it probes, scale families spanning a wide size
 * range well past the train inputs, and every probe one the task's own check
 * can judge: the seed, run in-process as the sandbox would run it, gets a
 * valid output on each (but the probes its README lists as the seed's own
 * weaknesses). A task whose seed or check calls models gets the scripted
 * models of its own test folder.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { listTasks, loadTask } from "../src/task/load.ts";
import type { StressWorkload, Task } from "../src/task/contract.ts";
import { type JudgeContext, MODEL_BRIDGE_GLOBAL, type ModelRequest } from "../src/task/model.ts";

/** Probes on which a task's seed fails, as its README's "Audit" section says. */
const SEED_FAILS: Record<string, string[]> = { "txn-scheduling": ["empty"] };

/**
 * For a task that declares models: its scripted stand-ins (`tasks/<id>/test/fake-models.ts`,
 * `answerTask` and `answerJudge`), the task model installed where the sandbox puts its bridge.
 */
async function scriptedModels(
  task: Task,
): Promise<{ judge?: JudgeContext; asked: () => number; uninstall(): void }> {
  let asked = 0;
  if (!task.models) return { asked: () => asked, uninstall: () => undefined };
  const fakes = await import(pathToFileURL(join(task.dir, "test", "fake-models.ts")).href);
  const global = globalThis as Record<string, unknown>;
  if (task.models.candidate) {
    global[MODEL_BRIDGE_GLOBAL] = async (json: string) =>
      JSON.stringify({ ok: true, text: fakes.answerTask(JSON.parse(json) as ModelRequest) });
  }
  const judge: JudgeContext | undefined = task.models.judge && {
    prompt: readFileSync(join(task.dir, task.models.judge.prompt), "utf8"),
    ask: async (messages) => {
      asked++;
      return fakes.answerJudge(messages);
    },
  };
  return { judge, asked: () => asked, uninstall: () => delete global[MODEL_BRIDGE_GLOBAL] };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

for (const { id } of await listTasks()) {
  test(`${id}: a deterministic, labelled stress split that the seed's outputs can be judged on`, async () => {
    const task = await loadTask(id);
    assert.ok(task.stress, `${id} has no stress split`);
    const stress = (await task.stress()) as StressWorkload[];
    assert.equal(JSON.stringify(await task.stress()), JSON.stringify(stress), "the same on every call");
    assert.equal(new Set(stress.map((w) => w.id)).size, stress.length, "distinct ids");
    const kinds = new Set(stress.map((w) => w.probe.kind));
    assert.deepEqual([...kinds].sort(), ["edge", "scale", "shift"]);
    for (const w of stress) {
      assert.equal(w.split, "stress");
      assert.ok(w.probe.what.length > 5 && Number.isFinite(w.probe.size), w.id);
    }
    // Scale probes: at least four sizes per family over an 8x range or more, the largest several times a typical train input.
    const families = new Set(stress.flatMap((w) => (w.probe.kind === "scale" ? [w.probe.family] : [])));
    assert.ok(families.size >= 1);
    const train = await task.workloads("train");
    const typical = median(train.map((w) => JSON.stringify(w.input).length));
    for (const family of families) {
      const members = stress.filter((w) => w.probe.family === family);
      const sizes = members.map((w) => w.probe.size);
      assert.ok(sizes.length >= 4 && Math.max(...sizes) >= 8 * Math.min(...sizes), `${family}: ${sizes}`);
      const largest = Math.max(...members.map((w) => JSON.stringify(w.input).length));
      assert.ok(
        largest >= 3 * typical,
        `${family}: largest input ${largest} B against a typical train input of ${typical} B`,
      );
    }
    const seed = await import(pathToFileURL(task.initialPath).href);
    const driver = await import(pathToFileURL(task.driverPath).href);
    const models = await scriptedModels(task);
    const fails: string[] = [];
    try {
      for (const w of stress) {
        let output: unknown;
        try {
          output = await driver.run(seed, structuredClone(w.input));
        } catch {
          fails.push(w.id);
          continue;
        }
        // As the sandbox sends it: typed arrays as plain lists.
        const sent = JSON.stringify(output, (_, v) =>
          ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v,
        );
        const check = await task.check?.(w, JSON.parse(sent), undefined, models.judge);
        if (!check?.valid) fails.push(w.id);
        else assert.ok(Number.isFinite(check.metrics[task.metric.name]), `${w.id}: no ${task.metric.name}`);
      }
    } finally {
      models.uninstall();
    }
    assert.deepEqual(fails, SEED_FAILS[id] ?? []);
    if (task.models?.judge) assert.ok(models.asked() > 0, "the judge was asked");
  });
}

test("the stress split lives in the task folder: tasks/<id>/stress.ts", async () => {
  const { existsSync } = await import("node:fs");
  for (const { id } of await listTasks())
    assert.ok(existsSync(join(import.meta.dirname, "..", "tasks", id, "stress.ts")), id);
});
