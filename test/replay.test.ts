/**
 * Record and replay: a run against the mock (three providers, a repaired
 * edit, failed calls) is replayed from its store without any network, and
 * matches its recording program for program.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { after, before, test } from "node:test";
import type { ModelCall } from "../src/core/types.ts";
import { startReplay } from "../src/engine/replay.ts";
import { resumeRun, startRun } from "../src/engine/session.ts";
import { TunerProposer } from "../src/search/index.ts";
import type { Store } from "../src/store/store.ts";
import { type ChatRequestBody, type MockLlm, type MockStep, startMockLlm } from "./support/mock-llm.ts";
import { mockRunConfig, tempDir, widenSample, withStore } from "./support/run-helpers.ts";

const cli = join(import.meta.dirname, "..", "bin", "adrs.js");
const keys = { ANTHROPIC_API_KEY: "test-key", GEMINI_API_KEY: "test-key" };

let mock: MockLlm;
let recorded: string;
let requestsWhenRecorded: number;

/** The mock's model: mostly good edits, now and then a reply with no edit (repaired) or a failure. */
function responder(body: ChatRequestBody): MockStep | string {
  const n = mock.requests.length;
  const repairing = body.messages.some((m) => /could not be applied/.test(String(m.content)));
  if (!repairing && n % 5 === 3) return "Let me think about it first.";
  if (n % 7 === 5) return { fault: "500" };
  return widenSample(body);
}

async function picture(store: Store) {
  const events = await store.events();
  return {
    programs: (await store.programs()).map((p) => [p.id, p.parentId, p.tag, p.model, p.score, p.code]),
    rejected: events.flatMap((e) => (e.type === "edit_rejected" ? [[e.candidateId, e.reason]] : [])),
    calls: (await store.modelCalls()).map((c: ModelCall) => [
      c.candidateId,
      c.role,
      c.model,
      c.messages,
      c.reply,
      c.outcome,
      c.usage.costUsd,
    ]),
    best: await store.best().then((b) => b && [b.program.id, b.program.score, b.test?.score]),
  };
}

before(async () => {
  mock = await startMockLlm({ responder });
  recorded = join(tempDir("replay"), "recorded");
  const price = { inputPerMTok: 1, outputPerMTok: 4 };
  const session = await startRun(
    mockRunConfig(mock.url, recorded, {
      models: [
        { model: "openai:mock-coder", baseUrl: mock.urls.openai, price, maxRetries: 0 },
        { model: "anthropic:mock-claude", baseUrl: mock.urls.anthropic, price, maxRetries: 0, stream: true },
        { model: "gemini:mock-gemini", baseUrl: mock.urls.gemini, price, maxRetries: 0 },
      ],
      ensemble: { policy: "bandit" },
      concurrency: { proposals: 1, evaluations: 1 },
      budget: { iterations: 9 },
      seed: 3,
    }),
    { env: keys },
  );
  assert.equal((await session.run()).reason, "iterations");
  requestsWhenRecorded = mock.requests.length;
  // From here on the mock refuses everything: a replay that reached it would fail loudly.
  mock.setDefault(() => {
    throw new Error("a replay must not call the provider");
  });
});
after(async () => {
  await mock.close();
});

test("a recorded run replays exactly: same programs, codes, scores, calls and best, without the network", async () => {
  const original = await withStore(recorded, picture);
  // The recording is a real one: every provider, a repair, and failed calls in it.
  const roles = new Set(original.calls.map((c) => c[1]));
  assert.ok(roles.has("repair"), "a repair call was recorded");
  assert.ok(
    original.calls.some((c) => c[5] === "server"),
    "a failed call was recorded",
  );
  assert.deepEqual(
    new Set(original.calls.map((c) => String(c[2]).split(":")[0])),
    new Set(["openai", "anthropic", "gemini"]),
  );
  assert.ok(original.programs.length > 3);

  const out = join(tempDir("replay"), "replayed");
  const session = await startReplay(recorded, out, { env: {} });
  assert.equal((await session.run()).reason, "iterations");
  assert.equal(mock.requests.length, requestsWhenRecorded, "no request reached the provider");
  const replayed = await withStore(out, picture);
  assert.deepEqual(replayed.programs, original.programs);
  assert.deepEqual(replayed.rejected, original.rejected);
  assert.deepEqual(replayed.calls, original.calls);
  assert.deepEqual(replayed.best, original.best);
  await withStore(out, async (store) => {
    const summary = await store.summary();
    const recordedSummary = await withStore(recorded, (s) => s.summary());
    assert.equal(summary.costUsd, recordedSummary.costUsd);
    assert.deepEqual(summary.spendByRole, recordedSummary.spendByRole);
  });
});

test("a replay that asks for a reply the recording does not have stops with a clear error", async () => {
  const out = join(tempDir("replay"), "longer");
  // Two iterations more than were recorded: iteration 10's request was never made.
  const session = await startReplay(recorded, out, { budget: { iterations: 11 }, env: {} });
  const outcome = await session.run();
  assert.equal(outcome.reason, "error");
  assert.match(outcome.detail ?? "", /has no recorded reply for this request/);
  assert.match(outcome.detail ?? "", /recorded/);
  assert.equal(mock.requests.length, requestsWhenRecorded);
  await withStore(out, async (store) => {
    const summary = await store.summary();
    assert.equal(summary.iterations, 9, "the recorded iterations replayed, then it stopped");
    assert.equal(summary.stopReason, "error");
  });
});

test("adrs run --replay reruns a recorded run from the command line", async () => {
  const out = join(tempDir("replay"), "cli");
  const child = spawn(
    process.execPath,
    [cli, "run", "txn-scheduling", "--replay", recorded, "--out", out, "--json"],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, OPENAI_API_KEY: "", ANTHROPIC_API_KEY: "", GEMINI_API_KEY: "" },
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, stderr);
  assert.match(stderr, /replaying .* \(no network\)/);
  const report = JSON.parse(stdout) as { reason: string; best: { id: string; score: number } };
  const original = await withStore(recorded, picture);
  assert.equal(report.reason, "iterations");
  assert.deepEqual([report.best.id, report.best.score], original.best?.slice(0, 2));

  const status = spawn(process.execPath, [cli, "status", recorded], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  status.stdout.on("data", (d) => (text += d));
  assert.equal(await new Promise((resolve) => status.on("close", resolve)), 0);
  // Spend by model (with failed calls counted), by role, and the dollar rate.
  assert.match(text, /\$[\d.]+\/hour/);
  assert.match(text, /by model\n(.*\n)*\s+openai:mock-coder\s+\d+ calls .*\$/);
  assert.match(text, /by role\n(.*\n)*\s+mutation\s+\d+ calls/);
  assert.match(text, /\s+repair\s+\d+ calls/);
  assert.match(text, /\d+ failed/);

  const mixed = spawn(process.execPath, [cli, "run", "--replay", recorded, "--model", "openai:x", "--ordered"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  mixed.stderr.on("data", (d) => (err += d));
  assert.equal(await new Promise((resolve) => mixed.on("close", resolve)), 2);
  assert.match(err, /--replay reruns the recorded config, so it cannot be combined with --model, --ordered$/m);
});

/** A run directory holding test/fixtures/run-before-tags.db.gz: recorded before strategies had tags. */
function oldRun(): string {
  const dir = join(tempDir("replay"), "old");
  mkdirSync(dir, { recursive: true });
  const db = gunzipSync(readFileSync(join(import.meta.dirname, "fixtures", "run-before-tags.db.gz")));
  writeFileSync(join(dir, "run.db"), db);
  return dir;
}

test("a run recorded before the strategy boundary replays to the same programs, and resumes", async () => {
  // Islands tag a program with its island's number; the seed's "" is island 0.
  const programs = (store: Store) =>
    store.programs().then((ps) => ps.map((p) => [p.id, p.parentId, p.tag || "0", p.model, p.score, p.code]));
  const recordedDir = oldRun();
  const original = await withStore(recordedDir, programs);
  assert.equal(original.length, 7);
  assert.ok(new Set(original.map((p) => p[2])).size === 2, "the recording used both islands");

  const out = join(tempDir("replay"), "from-old");
  const session = await startReplay(recordedDir, out, { env: {} });
  assert.equal((await session.run()).reason, "iterations");
  assert.deepEqual(await withStore(out, programs), original);

  // Its stored config (no strategy kind) still resumes, as islands.
  const resumed = await resumeRun(oldRun(), { proposer: new TunerProposer(), budget: { iterations: 8 } });
  assert.equal(resumed.config.strategy.kind, "islands");
  assert.equal((await resumed.run()).reason, "iterations");
  await withStore(resumed.dir, async (store) => {
    const all = await store.programs();
    assert.ok(all.length > 7, "the resumed run added programs");
    for (const p of all.slice(7)) assert.match(p.tag, /^[01]$/, `${p.id} is on island 0 or 1`);
    assert.equal((await store.summary()).iterations, 8);
  });
});
