/**
 * Sessions of a run across crashes and refusals: what a resume reads back
 * (the latest budget), and that a command that is refused changes nothing.
 * Real SQLite and the real sandbox, with the model-free tuner.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { withRunStore } from "../src/cli/commands/open-run.ts";
import { parseRunConfig } from "../src/engine/config.ts";
import { writeResolvedConfig } from "../src/engine/run-dir.ts";
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
  writeFileSync(join(out, "run.lock"), String(process.ppid));
  await assert.rejects(
    resumeRun(out, { budget: { iterations: 999, timeLimit: 1 } }),
    /in use by a live adrs process/,
  );
  assert.equal(readFileSync(join(out, "config.yaml"), "utf8"), config);
  assert.deepEqual(await withStore(out, (s) => s.events()), events);
});

test("a run.db with no run_started is no run: status and best say so without writing, resume shows the way out, run --out starts afresh", async () => {
  const out = join(tempDir("session"), "run");
  mkdirSync(out);
  writeFileSync(join(out, "run.db"), "");
  const noRun =
    /holds no run: its run\.db has no run_started event \(the run never started\)\. Start one there with `adrs run <task> --out/;
  await assert.rejects(
    withRunStore(out, async () => "read"),
    noRun,
  );
  assert.equal(statSync(join(out, "run.db")).size, 0, "a reader wrote nothing");
  await assert.rejects(resumeRun(out), noRun);

  const notices: string[] = [];
  const session = await startRun(tunerConfig(out, 1), { onNotice: (line) => notices.push(line) });
  assert.ok(notices.some((n) => /its run never started .*starting one there afresh/.test(n)));
  assert.equal((await session.run()).reason, "iterations");
  assert.equal(await withRunStore(out, async (s) => (await s.summary()).iterations), 1);
});

test("run --out refuses a folder that holds files but no run, and overwrites nothing", async () => {
  const out = tempDir("session");
  writeFileSync(join(out, "config.yaml"), "task: my-own\n");
  await assert.rejects(
    startRun(tunerConfig(out, 1)),
    /is not empty and holds no run: choose an empty or new folder/,
  );
  assert.equal(readFileSync(join(out, "config.yaml"), "utf8"), "task: my-own\n");
  assert.deepEqual(readdirSync(out), ["config.yaml"]);
  // Beside a run.db that never started, a file of the user's is kept too.
  writeFileSync(join(out, "run.db"), "");
  await assert.rejects(
    startRun(tunerConfig(out, 1)),
    /holds no run, but files that are not a run's \(config\.yaml\)/,
  );
  assert.equal(readFileSync(join(out, "config.yaml"), "utf8"), "task: my-own\n");
});

test("temporary files a kill left in evaluations/ are removed on resume", async () => {
  const out = join(tempDir("session"), "run");
  await (await startRun(tunerConfig(out, 1))).run();
  // Left by a run made before the evaluation cache moved from evaluations/ into the store.
  const left = join(out, "evaluations", `${"0".repeat(40)}.json.4242.tmp`);
  mkdirSync(join(out, "evaluations"), { recursive: true });
  writeFileSync(left, '{"key":');
  const session = await resumeRun(out);
  assert.equal(existsSync(left), false);
  await session.run();
});

test("a run folder's config.yaml never holds the store's password; the rest of the URL stays for resume", () => {
  const dir = tempDir("config-secret");
  const config = parseRunConfig(
    { task: "txn-scheduling", store: "postgres://adrs:s3cret-pw@db.example:5432/runs" },
    "test",
  );
  writeResolvedConfig(dir, config);
  const written = readFileSync(join(dir, "config.yaml"), "utf8");
  assert.ok(!written.includes("s3cret-pw"), "no password in config.yaml");
  assert.match(written, /store: postgres:\/\/adrs@db\.example:5432\/runs/);
  assert.equal(config.store, "postgres://adrs:s3cret-pw@db.example:5432/runs", "the run's own config keeps it");
});
