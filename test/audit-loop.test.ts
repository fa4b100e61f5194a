/**
 * The audit in the loop: the train–test gap of the best (`audit.driftAlarm`)
 * in `status`, the dashboard's run payload and the run's progress stream;
 * `audit.onNewBest`: a would-be new best with a weakness is stored invalid,
 * with why, and never becomes a program, let alone the best.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { stringify } from "yaml";
import { AuditGate, DEFAULT_DRIFT_ALARM, driftAlarmIn, driftOf, driftWatcher } from "../src/audit/index.ts";
import { statusCommand } from "../src/cli/commands/status.ts";
import type { RunEvent } from "../src/core/events.ts";
import type { Evaluation } from "../src/core/types.ts";
import { parseRunConfig } from "../src/engine/config.ts";
import { Engine } from "../src/engine/engine.ts";
import { LlmProposer } from "../src/engine/llm-proposer.ts";
import { Ensemble } from "../src/llm/ensemble.ts";
import { Budget, Ledger } from "../src/llm/ledger.ts";
import { loadTemplates } from "../src/prompt/index.ts";
import { ProcessSandbox } from "../src/sandbox/index.ts";
import type { Sandbox, SandboxJob } from "../src/sandbox/sandbox.ts";
import { createStrategy } from "../src/search/index.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import { loadTask } from "../src/task/load.ts";
import { InstantEvaluator, instantClient, knobOf, nudgeKnob, toyTask } from "./support/instant.ts";
import { writeSyntheticRun } from "./support/synthetic-run.ts";

test("driftOf: the gap is train minus test, alarming past the margin; none before a test score", () => {
  assert.deepEqual(driftOf({ score: 60, testScore: 45 }, 10), { gap: 15, alarm: 10, alarming: true });
  assert.deepEqual(driftOf({ score: 60, testScore: 55 }, 10), { gap: 5, alarm: 10, alarming: false });
  assert.equal(driftOf({ score: 60, testScore: null }), null);
  assert.equal(driftOf(null), null);
  assert.equal(driftAlarmIn({ audit: { driftAlarm: 3 } }), 3);
  assert.equal(driftAlarmIn({}), DEFAULT_DRIFT_ALARM);
});

test("driftWatcher warns when the best's gap passes the alarm, and again only when it widens", () => {
  const warnings: string[] = [];
  const watch = driftWatcher(10, (l) => warnings.push(l));
  const program = (id: string, score: number) =>
    ({ type: "program_inserted", program: { id, score } }) as unknown as RunEvent;
  const tested = (programId: string, score: number) =>
    ({ type: "test_evaluated", programId, evaluation: { status: "ok", score } }) as unknown as RunEvent;
  for (const e of [
    program("a", 50),
    tested("a", 45), // gap 5: quiet
    program("b", 70),
    tested("b", 55), // gap 15: warns
    program("c", 72),
    tested("c", 58), // gap 14: narrower, quiet
    program("d", 80),
    tested("d", 60), // gap 20: wider, warns
  ])
    watch(e);
  assert.equal(warnings.length, 2, warnings.join("\n"));
  assert.match(
    warnings[0] ?? "",
    /^b: train 70\.00, test 55\.00: gap 15\.00 \(train − test\): WARNING, past the drift alarm of 10$/,
  );
  assert.match(warnings[1] ?? "", /^d: .*gap 20\.00/);
});

test("the config takes audit.driftAlarm and audit.onNewBest, and names a bad one", () => {
  const c = parseRunConfig({ task: "t" }, "run.yaml");
  assert.deepEqual(c.audit, { driftAlarm: 10, onNewBest: false });
  assert.deepEqual(
    parseRunConfig({ task: "t", audit: { driftAlarm: 4, onNewBest: true } }, "run.yaml").audit,
    {
      driftAlarm: 4,
      onNewBest: true,
    },
  );
  assert.throws(
    () => parseRunConfig({ task: "t", audit: { driftAlarm: "big" } }, "run.yaml"),
    /audit\.driftAlarm/,
  );
  assert.throws(() => parseRunConfig({ task: "t", audit: { onBest: true } }, "run.yaml"), /audit.*"onBest"/);
});

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("status reports the best's gap against the run's own audit.driftAlarm", async () => {
  const dir = mkdtempSync(join(tmpdir(), "adrs-drift-"));
  dirs.push(dir);
  const store = await openSqliteStore(join(dir, "run.db"));
  await writeSyntheticRun(store, { candidates: 30 });
  const best = (await store.summary()).best;
  await store.close();
  assert.ok(best && best.testScore !== null);
  const gap = best.score - best.testScore;
  // A margin just under the gap, so the run is past it (whatever sign the gap has).
  writeFileSync(
    join(dir, "config.yaml"),
    stringify({ task: "txn-scheduling", audit: { driftAlarm: gap - 0.5 } }),
  );
  const out: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => out.push(chunk) > 0) as unknown as typeof process.stdout.write;
  try {
    await statusCommand(dir, { json: true });
    await statusCommand(dir, {});
  } finally {
    process.stdout.write = write;
  }
  const report = JSON.parse(out[0] ?? "");
  assert.ok(Math.abs(report.drift.gap - gap) < 1e-9);
  assert.equal(report.drift.alarm, gap - 0.5);
  assert.equal(report.drift.alarming, true);
  assert.match(out[1] ?? "", /best .* gap -?\d+\.\d\d \(train − test\): WARNING, past the drift alarm of/);
});

// ---------------------------------------------------------------------------
// audit.onNewBest

const templates = loadTemplates();

test("engine: an evaluation the gate turns invalid is stored with why, is no program, and never the best", async () => {
  const config = parseRunConfig(
    {
      task: "toy",
      budget: { iterations: 12 },
      concurrency: { proposals: 1, evaluations: 1, ordered: true },
      audit: { onNewBest: true },
      seed: 7,
    },
    "test config",
  );
  const client = instantClient((r) => nudgeKnob(r), { costUsd: 0 });
  const proposer = new LlmProposer(new Ensemble([{ client, weight: 1 }]), templates, "diff", {
    ledger: new Ledger(new Budget(undefined)),
  });
  const store = new MemoryStore();
  const reviewed: { knob: number | null; bestScore: number; score: number }[] = [];
  // A gate that holds every would-be best with a knob past 14 (the seed's is 10, each child's 3 more) to have a weakness.
  const gate = {
    async review(code: string, evaluation: Evaluation, bestScore: number): Promise<Evaluation> {
      reviewed.push({ knob: knobOf(code), bestScore, score: evaluation.score });
      if (evaluation.status !== "ok" || evaluation.score <= bestScore || (knobOf(code) ?? 0) <= 14)
        return evaluation;
      return { ...evaluation, status: "invalid", score: 0, error: "audit: 1 weakness on 9 probes: slow" };
    },
  };
  const engine = new Engine({
    config,
    task: toyTask(),
    store,
    strategy: createStrategy(config.strategy),
    proposer,
    queue: new InstantEvaluator(),
    gate,
  });
  await engine.run();
  const events = await store.events(0, 1_000_000);
  const vetoed = events.flatMap((e) =>
    e.type === "evaluation_finished" && e.evaluation.error?.startsWith("audit:") ? [e.candidateId] : [],
  );
  assert.ok(vetoed.length > 0, "the gate held some would-be best");
  const programs = await store.programs();
  for (const id of vetoed) assert.ok(!programs.some((p) => p.id === id), `${id} became a program`);
  const best = (await store.summary()).best;
  assert.ok(best);
  const bestCode = programs.find((p) => p.id === best.id)?.code ?? "";
  assert.equal(knobOf(bestCode), 13, "the best is the best the gate let through");
  // The seed is not gated; every candidate is, with the best score of its moment.
  assert.equal(reviewed.length, config.budget.iterations);
});

test("AuditGate: a would-be best with a blow-up is stored invalid with the audit's summary and the weaknesses for the next prompt", async () => {
  const task = await loadTask("prism");
  const real = new ProcessSandbox({ concurrency: 2 });
  let jobs = 0;
  const counting: Sandbox = {
    run: (job: SandboxJob) => {
      jobs++;
      return real.run(job);
    },
    close: () => real.close(),
  };
  after(() => real.close());
  const gate = new AuditGate(task, counting);
  const ok: Evaluation = {
    status: "ok",
    score: 80,
    metrics: {},
    workloads: [],
    stages: [],
    feedback: "train feedback",
    durationMs: 1,
  };
  // Not a new best: returned as is, nothing runs.
  assert.equal(await gate.review("anything", ok, 90), ok);
  assert.equal(jobs, 0);
  const blowup = readFileSync(join(import.meta.dirname, "fixtures", "audit", "prism", "blowup.ts"), "utf8");
  const held = await gate.review(blowup, ok, 50);
  assert.equal(held.status, "invalid");
  assert.equal(held.score, 0);
  assert.match(held.error ?? "", /^audit: 1 weakness on \d+ probes: slow$/);
  assert.match(
    held.feedback,
    /^train feedback\n\n.*an audit against the seed found weaknesses.*\n- slow on published: /s,
  );
  const first = jobs;
  // The seed passes, and its runs are not repeated: the gate keeps the baseline's.
  assert.equal(await gate.review(task.initialCode, ok, 50), ok);
  assert.equal(jobs - first, (first - 2) / 2 + 1);
});
