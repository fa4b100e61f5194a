/**
 * Sessions of a run across crashes and refusals: what a resume reads back
 * (the latest budget), and that a command that is refused changes nothing.
 * Real SQLite and the real sandbox, with the model-free tuner.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseRunConfig } from "../src/engine/config.ts";
import { resumeRun, startRun } from "../src/engine/session.ts";
import { tempDir, withStore } from "./support/run-helpers.ts";

function tunerConfig(out: string, iterations: number) {
  return parseRunConfig(
    {
      task: "txn-scheduling",
      concurrency: { proposals: 1, evaluations: 1 },
      budget: { iterations },
      out,
    },
    "test config",
  );
}

test("a budget raised on resume survives a crash: the next plain resume applies the latest budget_changed", async () => {
  const out = join(tempDir("session"), "run");
  const first = await startRun(tunerConfig(out, 1));
  assert.equal((await first.run()).reason, "iterations");

  // Raised to 4, then stopped after one more evaluation: the process might as well have died there.
  const raised = await resumeRun(out, { budget: { iterations: 4 } });
  raised.engine.stop("interrupted");
  await raised.run();

  const plain = await resumeRun(out);
  assert.equal(plain.config.budget.iterations, 4);
  assert.equal((await plain.run()).reason, "iterations");
  await withStore(out, async (store) => {
    assert.equal((await store.summary()).iterations, 4);
    const changes = (await store.events()).filter((e) => e.type === "budget_changed");
    assert.equal(changes.length, 1, "a plain resume changes no budget");
  });
  assert.match(readFileSync(join(out, "config.yaml"), "utf8"), /iterations: 4/);
});

test("a resume refused because the run is live changes nothing: no config.yaml, no event", async () => {
  const out = join(tempDir("session"), "run");
  const first = await startRun(tunerConfig(out, 1));
  await first.run();
  const config = readFileSync(join(out, "config.yaml"), "utf8");
  const events = await withStore(out, (s) => s.events());
  // The parent of this test process is alive: the run looks held by it.
  const { writeFileSync } = await import("node:fs");
  writeFileSync(join(out, "run.lock"), String(process.ppid));
  await assert.rejects(
    resumeRun(out, { budget: { iterations: 999, timeLimit: 1 } }),
    /in use by a live adrs process/,
  );
  assert.equal(readFileSync(join(out, "config.yaml"), "utf8"), config);
  assert.deepEqual(await withStore(out, (s) => s.events()), events);
});
