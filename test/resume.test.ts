import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type MockLlm, startMockLlm } from "./support/mock-llm.ts";
import { tempDir, widenSample, withStore } from "./support/run-helpers.ts";

const cli = join(import.meta.dirname, "..", "bin", "adrs.js");

function adrs(args: string[]): ChildProcess {
  return spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

function finished(child: ChildProcess): Promise<{ code: number | null; signal: string | null; out: string }> {
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, out })));
}

/**
 * The mock answers until `answerUpTo` requests in all have arrived; later ones are held unanswered
 * (a proposal in flight) until `release()`. A killed process leaves its held request hanging: the
 * mock's close() drops its socket.
 */
let answerUpTo = Number.POSITIVE_INFINITY;
let held: Array<() => void> = [];
function release(): void {
  answerUpTo = Number.POSITIVE_INFINITY;
  for (const answer of held) answer();
  held = [];
}

/** Candidates the store holds beyond the seed. */
async function proposedCount(dir: string): Promise<number> {
  return withStore(
    dir,
    async (s) => (await s.events()).filter((e) => e.type === "candidate_proposed" && e.iteration > 0).length,
  );
}

/**
 * Lets the run have `answered` more replies, waits for the next request (the mock holds it: that
 * proposal is in flight), kills the process with SIGKILL and checks the store never saw that proposal.
 */
async function killInFlight(child: ChildProcess, dir: string, answered: number): Promise<void> {
  const exit = finished(child);
  answerUpTo = mock.requests.length + answered;
  await mock.received(answerUpTo + 1);
  child.kill("SIGKILL");
  const { signal, out } = await exit;
  assert.equal(signal, "SIGKILL", `the run was still going when it was killed:\n${out}`);
  const sent = mock.requests.length;
  assert.ok(
    (await proposedCount(dir)) < sent,
    `a model request was unanswered at the kill: ${sent} sent, fewer candidates stored`,
  );
  answerUpTo = Number.POSITIVE_INFINITY;
  held = [];
}

let mock: MockLlm;
before(async () => {
  mock = await startMockLlm({
    responder: async (body) => {
      // requests already holds this one: its number is the count.
      if (mock.requests.length > answerUpTo) await new Promise<void>((answer) => held.push(answer));
      return { text: widenSample(body) };
    },
  });
});
after(async () => {
  await mock.close();
});

test("a run killed with SIGKILL twice resumes and finishes with nothing lost or evaluated twice", async () => {
  const dir = join(tempDir("resume"), "run");
  const iterations = 14;
  const run = adrs([
    "run",
    "txn-scheduling",
    "--model",
    "openai:mock-coder",
    "--base-url",
    mock.url,
    "--iterations",
    String(iterations),
    "--out",
    dir,
    "--proposals",
    "2",
    "--evaluations",
    "2",
  ]);
  await killInFlight(run, dir, 4);

  const status = adrs(["status", dir, "--json"]);
  const shown = await finished(status);
  assert.equal(JSON.parse(shown.out).state, "interrupted");

  await killInFlight(adrs(["resume", dir]), dir, 4);
  const last = await finished(adrs(["resume", dir]));
  assert.equal(last.code, 0, last.out);

  await withStore(dir, async (store) => {
    const events = await store.events();
    const proposed = events.flatMap((e) => (e.type === "candidate_proposed" ? [e] : []));
    const evaluated = events.flatMap((e) => (e.type === "evaluation_finished" ? [e.candidateId] : []));
    const inserted = events.flatMap((e) => (e.type === "program_inserted" ? [e.program.id] : []));
    const ids = proposed.map((e) => e.candidateId);
    assert.equal(new Set(ids).size, ids.length, "no candidate proposed twice");
    assert.equal(new Set(evaluated).size, evaluated.length, "no candidate evaluated twice");
    assert.equal(new Set(inserted).size, inserted.length, "no program inserted twice");
    for (const e of proposed) {
      if (e.code !== null) assert.ok(evaluated.includes(e.candidateId), `${e.candidateId} was evaluated`);
    }
    assert.deepEqual(await store.pendingCandidates(), []);
    assert.equal(events.filter((e) => e.type === "run_resumed").length, 2);
    const summary = await store.summary();
    assert.equal(summary.state, "stopped");
    assert.equal(summary.stopReason, "iterations");
    assert.equal(summary.iterations, iterations);
    assert.equal(summary.programs, inserted.length);
    assert.ok(summary.best && summary.best.testScore !== null);
  });
});

test("Ctrl-C drains what is in flight and stops with everything stored", async () => {
  const dir = join(tempDir("resume"), "run");
  const run = adrs([
    "run",
    "txn-scheduling",
    "--model",
    "openai:mock-coder",
    "--base-url",
    mock.url,
    "--iterations",
    "40",
    "--out",
    dir,
  ]);
  const exit = finished(run);
  // Three replies, then the next request is held: a proposal is in flight when Ctrl-C arrives.
  answerUpTo = mock.requests.length + 3;
  await mock.received(answerUpTo + 1);
  const stopping = new Promise<void>((resolve) => {
    const seen = (d: Buffer) => /stopping/.test(d.toString()) && resolve();
    run.stdout?.on("data", seen);
    run.stderr?.on("data", seen);
  });
  run.kill("SIGINT");
  await stopping;
  const inFlight = await proposedCount(dir);
  release();
  const { code, out } = await exit;
  assert.equal(code, 0, out);
  assert.match(out, /stopping: finishing what is in flight/);
  await withStore(dir, async (store) => {
    const summary = await store.summary();
    assert.equal(summary.state, "stopped");
    assert.equal(summary.stopReason, "interrupted");
    assert.ok(summary.iterations < 40);
    assert.ok(
      (await proposedCount(dir)) > inFlight,
      "the proposal in flight at Ctrl-C was finished and stored",
    );
    assert.deepEqual(
      await store.pendingCandidates(),
      [],
      "every proposed candidate was evaluated before stopping",
    );
  });
});
