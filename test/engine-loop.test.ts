/**
 * The engine's behaviours in milliseconds: the in-memory store, the instant
 * evaluator and the instant model (test/support/instant.ts) stand in for
 * SQLite, the sandbox and the network, so each stop rule, the selection
 * window, drain on stop, resume, screening, strategy events and directives
 * are tested without a child process. test/engine.test.ts keeps the runs
 * end to end.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RunEvent } from "../src/core/events.ts";
import type { Rng } from "../src/core/rng.ts";
import type { Candidate, Program, Settled } from "../src/core/types.ts";
import { parseRunConfig, type RunConfig } from "../src/engine/config.ts";
import { Engine, type EngineParts } from "../src/engine/engine.ts";
import { LlmProposer } from "../src/engine/llm-proposer.ts";
import type { CompletionRequest } from "../src/llm/client.ts";
import { Ensemble } from "../src/llm/ensemble.ts";
import { Budget, Ledger } from "../src/llm/ledger.ts";
import { loadTemplates } from "../src/prompt/index.ts";
import {
  createStrategy,
  type Directive,
  type ProposalContext,
  type ScreenTools,
  type ScreenVerdict,
  type Selection,
  type Strategy,
  type StrategyEvent,
  TunerProposer,
} from "../src/search/index.ts";
import { MemoryStore } from "../src/store/memory.ts";
import type { Store } from "../src/store/store.ts";
import {
  InstantEvaluator,
  type InstantEvaluatorOptions,
  instantClient,
  knobOf,
  nudgeKnob,
  toyTask,
} from "./support/instant.ts";

const templates = loadTemplates();

function config(overrides: Record<string, unknown> = {}): RunConfig {
  return parseRunConfig(
    {
      task: "toy",
      budget: { iterations: 6 },
      // Ordered: these tests expect a run to be a function of its seed (the unordered loop has its own).
      concurrency: { proposals: 1, evaluations: 1, ordered: true },
      seed: 7,
      ...overrides,
    },
    "test config",
  );
}

/** An LLM proposer over one instant model; its ledger holds `usd` when given. */
function llm(reply?: (r: CompletionRequest) => string, options: { costUsd?: number; usd?: number } = {}) {
  const client = instantClient(reply, { costUsd: options.costUsd ?? 0.001 });
  const proposer = new LlmProposer(new Ensemble([{ client, weight: 1 }]), templates, "diff", {
    ledger: new Ledger(new Budget(options.usd)),
  });
  return { client, proposer };
}

interface Setup {
  config?: RunConfig;
  store?: Store;
  strategy?: Strategy;
  proposer?: EngineParts["proposer"];
  evaluator?: InstantEvaluator;
  evaluatorOptions?: InstantEvaluatorOptions;
  onEvent?: (e: RunEvent, engine: Engine) => void;
  clock?: () => number;
  heartbeatMs?: number;
}

function engine(setup: Setup = {}) {
  const c = setup.config ?? config();
  const store = setup.store ?? new MemoryStore(setup.clock);
  const evaluator = setup.evaluator ?? new InstantEvaluator(setup.evaluatorOptions);
  const proposer = setup.proposer ?? llm().proposer;
  const e: Engine = new Engine({
    config: c,
    task: toyTask(),
    store,
    strategy: setup.strategy ?? createStrategy(c.strategy),
    proposer,
    queue: evaluator,
    ...(setup.onEvent ? { onEvent: (ev: RunEvent) => setup.onEvent?.(ev, e) } : {}),
    ...(setup.clock ? { clock: setup.clock } : {}),
    ...(setup.heartbeatMs ? { heartbeatMs: setup.heartbeatMs } : {}),
  });
  return { engine: e, store, evaluator, proposer };
}

/** A store whose process can be "killed": from then on nothing more is stored through it. */
function killable(store: Store): { store: Store; kill: () => void } {
  let dead = false;
  const mortal = new Proxy(store, {
    get(target, key) {
      if (key === "append" && dead) return () => new Promise<void>(() => {});
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store: mortal, kill: () => (dead = true) };
}

/** What a run produced, in a form two runs can be compared by. */
async function picture(store: Store) {
  return (await store.programs()).map((p) => [p.id, p.parentId, p.tag, p.score, p.code]);
}

/**
 * A strategy around another that records what it is told and can screen,
 * emit events and direct the proposer, each from a hook.
 */
class Probe implements Strategy {
  readonly name: string;
  readonly settled: Settled[] = [];
  readonly replayed: StrategyEvent[] = [];
  selects = 0;

  constructor(
    private readonly inner: Strategy,
    private readonly hooks: {
      select?: (selection: Selection, probe: Probe) => Selection;
      ingest?: (settled: Settled) => StrategyEvent[];
      screen?: (candidate: Candidate, tools: ScreenTools, probe: Probe) => Promise<ScreenVerdict>;
    } = {},
  ) {
    this.name = inner.name;
    if (hooks.screen) this.screen = (c, t) => hooks.screen!(c, t, this);
  }

  screen?: (candidate: Candidate, tools: ScreenTools) => Promise<ScreenVerdict>;

  select(rng: Rng): Selection {
    this.selects++;
    const s = this.inner.select(rng);
    return this.hooks.select ? this.hooks.select(s, this) : s;
  }

  ingest(settled: Settled): StrategyEvent[] {
    this.settled.push(settled);
    return [...this.inner.ingest(settled), ...(this.hooks.ingest?.(settled) ?? [])];
  }

  replay(event: StrategyEvent): void {
    this.replayed.push(event);
  }

  best(): Program | undefined {
    return this.inner.best();
  }

  size(): number {
    return this.inner.size();
  }

  describe(): unknown {
    return this.inner.describe();
  }

  program(id: string): Program | undefined {
    return this.settled.flatMap((s) => (s.status === "ok" ? [s.program] : [])).find((p) => p.id === id);
  }
}

/** Records the batches a store is asked to append: each one is a transaction. */
function batches(store: Store): RunEvent[][] {
  const seen: RunEvent[][] = [];
  const append = store.append.bind(store);
  store.append = async (events) => {
    seen.push(events);
    return append(events);
  };
  return seen;
}

describe("stop rules", () => {
  test("budget.iterations: every iteration proposed and settled, the best tested on the held-out split", async () => {
    const { engine: e, store } = engine({ config: config({ budget: { iterations: 5 } }) });
    const outcome = await e.run();
    assert.equal(outcome.reason, "iterations");
    const summary = await store.summary();
    assert.equal(summary.iterations, 5);
    assert.equal(summary.evaluations, 6, "the seed and five children");
    assert.equal(summary.state, "stopped");
    assert.deepEqual(await store.pendingCandidates(), []);
    assert.ok(summary.best && summary.best.score > 60, "the knob moved toward the workloads");
    assert.equal(typeof summary.best.testScore, "number");
    assert.equal(outcome.best?.id, summary.best.id);
  });

  test("budget.usd: no request is sent that the dollar budget cannot hold", async () => {
    const { client, proposer } = llm(undefined, { costUsd: 0.01, usd: 0.035 });
    const { engine: e, store } = engine({
      config: config({ budget: { iterations: 20, usd: 0.035 } }),
      proposer,
    });
    const outcome = await e.run();
    assert.equal(outcome.reason, "budget_usd");
    assert.equal(client.requests.length, 3);
    const spent = (await store.totalUsage()).costUsd;
    assert.ok(spent <= 0.035 + 1e-9, `spent ${spent}`);
    assert.equal((await store.summary()).iterations, 3);
  });

  test("budget.timeLimit: active time on the injected clock", async () => {
    let now = 1_000_000;
    const clock = () => now;
    const { engine: e, store } = engine({
      config: config({ budget: { iterations: 50, timeLimit: 35 } }),
      clock,
      // Each evaluation takes ten seconds of the run's clock.
      evaluatorOptions: {
        gate: (_code, split) => {
          if (split === "train") now += 10_000;
        },
      },
    });
    const outcome = await e.run();
    assert.equal(outcome.reason, "time_limit");
    const summary = await store.summary();
    // Checked as each evaluation ends: the fourth one reaches 40 s (one more may be in flight by then).
    assert.ok(summary.evaluations >= 4 && summary.evaluations <= 5, `${summary.evaluations} evaluations`);
    assert.ok(summary.iterations < 50, "stopped before the iteration budget");
    assert.ok((await store.activeSeconds()) >= 35, "the store counts the same active time");
  });

  test("budget.targetScore: stops once the best train score reaches it", async () => {
    const { engine: e, store } = engine({
      config: config({ budget: { iterations: 30, targetScore: 75 }, strategy: { kind: "hill-climb" } }),
    });
    const outcome = await e.run();
    assert.equal(outcome.reason, "target_score");
    const summary = await store.summary();
    assert.ok(summary.best && summary.best.score >= 75, "the best reached the target");
    // The seed scores 60 and each child moves the knob by 3 (+6, +6, +6): the third child reaches 78.
    assert.equal(summary.iterations, 3);
  });

  test("budget.patience: stops after that many iterations without a better program", async () => {
    const { proposer } = llm((r) => nudgeKnob(r, -3));
    const { engine: e, store } = engine({
      config: config({ budget: { iterations: 30, patience: 4 }, strategy: { kind: "hill-climb" } }),
      proposer,
    });
    const outcome = await e.run();
    assert.equal(outcome.reason, "patience");
    const summary = await store.summary();
    assert.equal(summary.iterations, 4);
    assert.equal(summary.best?.id, "c000000");
  });

  test("budget.modelFailures: proposals in a row lost to model errors stop the run with models_failing and the last error", async () => {
    // The model answers twice, then its server is gone: every call fails, as with a refused connection.
    let calls = 0;
    const proposer = llm((r) => {
      if (++calls > 2) throw new Error(`connect ECONNREFUSED 127.0.0.1:9 (call ${calls})`);
      return nudgeKnob(r);
    }).proposer;
    const { engine: e, store } = engine({
      config: config({ budget: { iterations: 40, modelFailures: 4 } }),
      proposer,
    });
    const outcome = await e.run();
    assert.equal(outcome.reason, "models_failing");
    assert.match(
      outcome.detail ?? "",
      /4 proposals in a row lost to model errors; the last: .*ECONNREFUSED.*call 6/,
    );
    const summary = await store.summary();
    assert.equal(summary.iterations, 6, "two good proposals, then four lost");
    assert.equal(summary.stopReason, "models_failing");
  });
});

describe("the loop", () => {
  test("selection window: iteration k is selected only once every iteration up to k − proposals settled", async () => {
    // Evaluations are released newest first, so they settle out of order.
    const held: (() => void)[] = [];
    const flush = () => {
      for (const release of held.splice(0).reverse()) release();
    };
    const gate = () =>
      new Promise<void>((resolve) => {
        held.push(resolve);
        setImmediate(flush);
      });
    const settledAt: number[][] = [];
    const probe = new Probe(createStrategy({ kind: "hill-climb" }), {
      select: (s, p) => {
        settledAt.push(p.settled.map((x) => x.candidate.iteration));
        return s;
      },
    });
    const { engine: e } = engine({
      config: config({
        budget: { iterations: 12 },
        concurrency: { proposals: 3, evaluations: 3, ordered: true },
      }),
      strategy: probe,
      evaluatorOptions: { gate },
    });
    await e.run();
    assert.equal(settledAt.length, 12);
    let overlapped = false;
    settledAt.forEach((settled, i) => {
      const k = i + 1;
      for (let j = 0; j <= k - 3; j++) assert.ok(settled.includes(j), `iteration ${j} settled before ${k}`);
      if (!settled.includes(k - 1)) overlapped = true;
    });
    assert.ok(overlapped, "some selections happened with the previous iteration still in flight");
  });

  test("drain on stop: what is in flight is finished and stored, nothing new starts", async () => {
    const { engine: e, store } = engine({
      config: config({ budget: { iterations: 40 }, concurrency: { proposals: 2, evaluations: 2 } }),
      onEvent: (ev, en) => {
        if (ev.type === "evaluation_finished" && ev.candidateId === "c000003") en.stop("interrupted");
      },
    });
    const outcome = await e.run();
    assert.equal(outcome.reason, "interrupted");
    assert.deepEqual(await store.pendingCandidates(), []);
    const events = await store.events();
    const proposed = events.flatMap((ev) =>
      ev.type === "candidate_proposed" && ev.code ? [ev.candidateId] : [],
    );
    const evaluated = new Set(
      events.flatMap((ev) => (ev.type === "evaluation_finished" ? [ev.candidateId] : [])),
    );
    for (const id of proposed) assert.ok(evaluated.has(id), `${id} was evaluated before the stop`);
    const summary = await store.summary();
    assert.ok(summary.iterations < 40 && summary.iterations >= 3, `${summary.iterations} iterations`);
    assert.equal(summary.stopReason, "interrupted");
  });

  test("ingest hears of every settled candidate: programs with per-workload scores, failures, rejected edits", async () => {
    const replies = ["bad", "still bad", "throw", "good", "invalid"];
    const reply = (r: CompletionRequest) => {
      const kind = replies.shift() ?? "good";
      if (kind === "bad" || kind === "still bad") return "No edit from me.";
      const step = nudgeKnob(r, 2);
      if (kind === "throw")
        return step.replace(/const KNOB = (\d+);\n>>>/, 'const KNOB = $1; throw new Error("x");\n>>>');
      if (kind === "invalid")
        return step.replace(/const KNOB = (\d+);\n>>>/, "const KNOB = $1; // INVALID\n>>>");
      return step;
    };
    const probe = new Probe(createStrategy({ kind: "hill-climb" }));
    const { engine: e } = engine({
      strategy: probe,
      proposer: llm(reply).proposer,
      config: config({ budget: { iterations: 4 } }),
    });
    await e.run();
    assert.deepEqual(
      probe.settled.map((s) => [s.candidate.id, s.status]),
      [
        ["c000000", "ok"],
        ["c000001", "rejected"],
        ["c000002", "failed"],
        ["c000003", "ok"],
        ["c000004", "failed"],
      ],
    );
    const first = probe.settled[0]!;
    assert.ok(first.status === "ok", "the seed is a program");
    assert.deepEqual(
      first.evaluation.workloads.map((w) => [w.workload, w.score]),
      [
        ["w0", 80],
        ["w1", 60],
        ["w2", 40],
      ],
    );
    const rejected = probe.settled[1]!;
    assert.ok(
      rejected.status === "rejected" && rejected.candidate.code === null,
      "a rejected edit has no code",
    );
    assert.match(rejected.reason, /SEARCH/);
    const failed = probe.settled[2]!;
    assert.ok(failed.status === "failed" && failed.evaluation.status === "error", "a failed evaluation");
    assert.equal(failed.candidate.parentId, "c000000");
  });
});

describe("resume", () => {
  const resumable = () =>
    config({ budget: { iterations: 9 }, strategy: { islands: 2, migrationInterval: 2 }, seed: 11 });

  test("stopped and resumed equals a run that was never stopped", async () => {
    const straight = engine({ config: resumable(), proposer: new TunerProposer() });
    await straight.engine.run();

    const store = new MemoryStore();
    const first = engine({
      config: resumable(),
      store,
      proposer: new TunerProposer(),
      onEvent: (ev, en) => {
        if (ev.type === "evaluation_finished" && ev.candidateId === "c000004") en.stop("interrupted");
      },
    });
    assert.equal((await first.engine.run()).reason, "interrupted");
    assert.ok((await store.summary()).iterations < 9, "the first session stopped early");
    const second = engine({ config: resumable(), store, proposer: new TunerProposer() });
    assert.equal((await second.engine.run()).reason, "iterations");
    assert.deepEqual(await picture(store), await picture(straight.store));
    const events = await store.events();
    assert.equal(events.filter((ev) => ev.type === "run_resumed").length, 1);
    assert.ok(
      events.some((ev) => ev.type === "strategy_event" && ev.kind === "program_migrated"),
      "islands stored its migrations",
    );
  });

  test("a run killed with a candidate in flight resumes, evaluates it once, and ends as if never killed", async () => {
    const straight = engine({ config: resumable(), proposer: new TunerProposer() });
    await straight.engine.run();

    const store = new MemoryStore();
    let calls = 0;
    let died: () => void = () => {};
    const dead = new Promise<void>((resolve) => {
      died = resolve;
    });
    // The fifth train evaluation never returns: the process "dies" with c000004 proposed, not evaluated.
    const killed = engine({
      config: resumable(),
      store,
      proposer: new TunerProposer(),
      evaluatorOptions: {
        gate: (_code, split) => {
          if (split !== "train" || ++calls !== 5) return;
          died();
          return new Promise<void>(() => {});
        },
      },
    });
    void killed.engine.run();
    await dead;
    // Let the writes already under way land (the test evaluation of the previous best).
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      (await store.pendingCandidates()).map((c) => c.id),
      ["c000004"],
    );
    const resumed = engine({ config: resumable(), store, proposer: new TunerProposer() });
    assert.equal((await resumed.engine.run()).reason, "iterations");
    assert.deepEqual(await picture(store), await picture(straight.store));
    const evaluated = (await store.events()).flatMap((ev) =>
      ev.type === "evaluation_finished" ? [ev.candidateId] : [],
    );
    assert.equal(new Set(evaluated).size, evaluated.length, "nothing evaluated twice");
  });

  // Without a heartbeat the wait below would never end: the timeout turns that into a failure.
  test("a session killed during a long evaluation counts its active time (heartbeat), so the time limit holds across kills", {
    timeout: 30_000,
  }, async () => {
    let now = 1_000_000;
    // Once the long evaluation runs, the clock moves a millisecond per reading, so the heartbeat's turn comes.
    let hanging = false;
    const clock = () => (hanging ? ++now : now);
    const store = new MemoryStore(clock);
    const budget = { iterations: 50, timeLimit: 100 };
    let calls = 0;
    let beat: () => void = () => {};
    const beaten = new Promise<void>((resolve) => {
      beat = resolve;
    });
    // The third train evaluation runs for 60 s of the run's clock and never returns: the process is killed in it.
    const { store: mortal, kill } = killable(store);
    const killed = engine({
      config: config({ budget }),
      store: mortal,
      clock,
      heartbeatMs: 1,
      proposer: new TunerProposer(),
      evaluatorOptions: {
        gate: (_code, split) => {
          if (split !== "train" || ++calls !== 3) return;
          now += 60_000;
          hanging = true;
          return new Promise<void>(() => {});
        },
      },
      onEvent: (ev) => {
        if (ev.type === "heartbeat") beat();
      },
    });
    // The process lives (its sandbox would keep it so) until it is killed.
    const alive = setTimeout(() => {}, 30_000);
    void killed.engine.run();
    await beaten;
    kill();
    clearTimeout(alive);
    hanging = false;
    const killedAt = now;
    now += 3_600_000; // an hour later, resumed
    assert.ok(Math.abs((await store.activeSeconds(killedAt)) - 60) < 1);

    // Each evaluation of the resumed session takes 10 s: the 40 s left are four of them, not ten.
    const resumed = engine({
      config: config({ budget }),
      store,
      clock,
      proposer: new TunerProposer(),
      evaluatorOptions: {
        gate: (_code, split) => {
          if (split === "train") now += 10_000;
        },
      },
    });
    const before = (await store.summary()).evaluations;
    assert.equal((await resumed.engine.run()).reason, "time_limit");
    const after = (await store.summary()).evaluations;
    assert.ok(after - before >= 4 && after - before <= 5, `${after - before} evaluations after resuming`);
    const active = await store.activeSeconds();
    assert.ok(active >= 100 && active < 115, `${active} s active`);
  });
});

describe("reservations", () => {
  test("a call in flight at a kill was reserved before it was sent, and is charged as 'outcome unknown' on resume", async () => {
    const store = new MemoryStore();
    const base = instantClient(nudgeKnob, { costUsd: 0.001 });
    const price = { inputPerMTok: 10, outputPerMTok: 10 };
    let calls = 0;
    let sent: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => {
      sent = resolve;
    });
    // The third request never gets its reply: the process is killed while it waits.
    const client = {
      ...base,
      price,
      async complete(request: CompletionRequest) {
        if (++calls === 3) {
          sent();
          return new Promise<never>(() => {});
        }
        return base.complete(request);
      },
    };
    const proposer = () =>
      new LlmProposer(new Ensemble([{ client, weight: 1 }]), templates, "diff", {
        ledger: new Ledger(new Budget(1)),
      });
    const budget = { iterations: 6, usd: 1 };
    const { store: mortal, kill } = killable(store);
    const killed = engine({ config: config({ budget }), store: mortal, proposer: proposer() });
    void killed.engine.run();
    await inFlight;
    kill();
    const reserved = (await store.events()).filter((e) => e.type === "model_reserved");
    assert.equal(reserved.length, 3, "each request was reserved before it was sent");

    const resumed = engine({ config: config({ budget }), store, proposer: proposer() });
    await resumed.engine.run();
    const ledger = await store.ledger();
    const unknown = ledger.filter((c) => c.outcome === "unknown");
    assert.equal(unknown.length, 1);
    const third = reserved[2] as RunEvent & { type: "model_reserved" };
    assert.ok(third.usd > 0.1, `reserved $${third.usd}: the prompt and the token limit at the price`);
    assert.equal(unknown[0]?.usage.costUsd, third.usd);
    assert.equal(unknown[0]?.candidateId, third.candidateId);
    const summary = await store.summary();
    assert.equal(summary.spend[0]?.unknown, 1);
    assert.ok(summary.costUsd >= third.usd && summary.costUsd <= 1, `spent $${summary.costUsd}`);
  });
});

describe("screening", () => {
  /**
   * A minibatch gate: the child is tried on one train workload drawn from the
   * screen's RNG and goes on only if it does at least as well there as its parent.
   */
  const gated = () =>
    new Probe(createStrategy({ kind: "hill-climb" }), {
      screen: async (candidate, tools, probe) => {
        const workload = tools.trainWorkloads[tools.rng.int(tools.trainWorkloads.length)]!;
        const child = await tools.evaluate(candidate.code, [workload]);
        const parent = probe.settled.find((s) => s.candidate.id === candidate.parentId);
        const before =
          parent?.status === "ok"
            ? parent.evaluation.workloads.find((w) => w.workload === workload)?.score
            : 0;
        const after = child.workloads[0]?.score ?? 0;
        const events = [{ kind: "gate", data: { candidate: candidate.id, workload, before, after } }];
        if (child.status === "ok" && after >= (before ?? 0)) return { pass: true, events };
        return { pass: false, reason: `${workload}: ${after} < ${before}`, events };
      },
    });
  // Children alternate between a step up and a step down.
  let n = 0;
  const zigzag = (r: CompletionRequest) => nudgeKnob(r, n++ % 2 === 0 ? 4 : -5);

  test("a screened candidate is stored with its reason and its strategy's events, and never fully evaluated", async () => {
    n = 0;
    const probe = gated();
    const {
      engine: e,
      store,
      evaluator,
    } = engine({
      strategy: probe,
      proposer: llm(zigzag).proposer,
      config: config({ budget: { iterations: 8 } }),
    });
    const appended = batches(store);
    await e.run();
    const screened = probe.settled.filter((s) => s.status === "screened");
    assert.ok(screened.length >= 2, `${screened.length} screened`);
    const summary = await store.summary();
    assert.equal(summary.screened, screened.length);
    for (const s of screened) {
      // Evaluated on one workload, never on the whole split.
      const seen = evaluator.calls.filter((c) => c.code === s.candidate.code && c.split === "train");
      assert.ok(
        seen.length > 0 && seen.every((c) => c.workloads?.length === 1),
        "evaluated on one workload only",
      );
      const batch = appended.find((b) =>
        b.some((ev) => ev.type === "candidate_screened" && ev.candidateId === s.candidate.id),
      );
      assert.ok(batch, "stored");
      assert.ok(
        batch.some(
          (ev) =>
            ev.type === "strategy_event" &&
            ev.kind === "gate" &&
            (ev.data as { candidate: string }).candidate === s.candidate.id,
        ),
        "the gate's event is in the same transaction",
      );
    }
    // A screened child is a failure of its parent that later prompts show.
    const first = screened[0]!;
    const failures = await store.recentFailures(first.candidate.parentId, 10);
    assert.ok(
      failures.some((f) => f.candidateId === first.candidate.id && f.reason.includes("<")),
      "the screened child is among its parent's failures",
    );
  });

  test("the screen's randomness replays: resumed equals straight", async () => {
    n = 0;
    const straight = engine({
      strategy: gated(),
      proposer: llm(zigzag).proposer,
      config: config({ budget: { iterations: 8 } }),
    });
    await straight.engine.run();
    const straightGates = (await straight.store.events()).flatMap((ev) =>
      ev.type === "strategy_event" ? [ev.data] : [],
    );

    n = 0;
    const store = new MemoryStore();
    const first = engine({
      store,
      strategy: gated(),
      proposer: llm(zigzag).proposer,
      config: config({ budget: { iterations: 8 } }),
      onEvent: (ev, en) => {
        if (ev.type === "evaluation_finished" && ev.candidateId === "c000003") en.stop("interrupted");
      },
    });
    await first.engine.run();
    const probe = gated();
    await engine({
      store,
      strategy: probe,
      proposer: llm(zigzag).proposer,
      config: config({ budget: { iterations: 8 } }),
    }).engine.run();
    assert.deepEqual(await picture(store), await picture(straight.store));
    const gates = (await store.events()).flatMap((ev) => (ev.type === "strategy_event" ? [ev.data] : []));
    assert.deepEqual(gates, straightGates);
    // The resumed strategy was handed the events stored before it started, in order.
    const before = probe.replayed.map((ev) => (ev.data as { candidate: string }).candidate);
    assert.deepEqual(
      before,
      gates.slice(0, before.length).map((g) => (g as { candidate: string }).candidate),
    );
    assert.ok(before.length > 0, "events were stored before the resume");
  });
});

describe("strategy events and directives", () => {
  test("events from select and ingest are stored with their cause and handed back in stored order on resume", async () => {
    const make = () =>
      new Probe(createStrategy({ kind: "hill-climb" }), {
        select: (s, p) => ({
          ...s,
          events: [{ kind: "chose", data: { n: p.selects, parent: s.parent.id } }],
        }),
        ingest: (s) => [{ kind: "learnt", data: { id: s.candidate.id, status: s.status } }],
      });
    const store = new MemoryStore();
    const appended = batches(store);
    const first = engine({
      store,
      strategy: make(),
      config: config({ budget: { iterations: 4 } }),
      onEvent: (ev, en) => {
        if (ev.type === "evaluation_finished" && ev.candidateId === "c000002") en.stop("interrupted");
      },
    });
    await first.engine.run();
    for (const batch of appended) {
      const proposed = batch.find((ev) => ev.type === "candidate_proposed");
      if (proposed && proposed.type === "candidate_proposed" && proposed.iteration > 0) {
        assert.ok(
          batch.some((ev) => ev.type === "strategy_event" && ev.kind === "chose"),
          "chose with its proposal",
        );
      }
      const finished = batch.find((ev) => ev.type === "evaluation_finished");
      if (finished && finished.type === "evaluation_finished") {
        assert.ok(
          batch.some(
            (ev) =>
              ev.type === "strategy_event" &&
              ev.kind === "learnt" &&
              (ev.data as { id: string }).id === finished.candidateId,
          ),
          "learnt with its evaluation",
        );
      }
    }
    const stored = (await store.events()).flatMap((ev) =>
      ev.type === "strategy_event" ? [[ev.kind, ev.data]] : [],
    );
    const resumed = make();
    await engine({ store, strategy: resumed, config: config({ budget: { iterations: 4 } }) }).engine.run();
    assert.deepEqual(
      resumed.replayed.map((ev) => [ev.kind, ev.data]),
      stored,
    );
    // Ingest saw the settled candidates again, in the order they settled.
    assert.deepEqual(
      resumed.settled.slice(0, 3).map((s) => s.candidate.id),
      ["c000000", "c000001", "c000002"],
    );
  });

  test("a ready-made child is proposed as is, with no model call", async () => {
    const { client, proposer } = llm();
    const merged = (code: string) => code.replace(/const KNOB = \d+;/, "const KNOB = 30;");
    const probe = new Probe(createStrategy({ kind: "hill-climb" }), {
      select: (s) => ({
        ...s,
        directive: { operation: "merge", child: { code: merged(s.parent.code), note: "merged two changes" } },
      }),
    });
    const { engine: e, store } = engine({
      strategy: probe,
      proposer,
      config: config({ budget: { iterations: 2 } }),
    });
    await e.run();
    assert.equal(client.requests.length, 0);
    const proposed = (await store.events()).flatMap((ev) =>
      ev.type === "candidate_proposed" && ev.iteration > 0 ? [ev] : [],
    );
    assert.equal(proposed.length, 2);
    for (const p of proposed) {
      assert.equal(p.operation, "merge");
      assert.equal(p.model, "none");
      assert.equal(p.reply, "merged two changes");
      assert.equal(knobOf(p.code ?? ""), 30);
    }
    assert.match(proposed[0]!.diff, /-const KNOB = 10;\n\+const KNOB = 30;/);
    assert.equal((await store.summary()).best?.score, 86.66666666666667);
  });

  test("the LLM proposer honours sections, a second parent, edit mode, temperature and the model role", async () => {
    const main = instantClient(nudgeKnob, { model: "openai:main" });
    const paradigm = instantClient(
      (r) => {
        const code = (r.messages.at(-1)?.content ?? "").match(/```ts\n([\s\S]*?)```/)?.[1] ?? "";
        return `A new way.\n\`\`\`ts\n${code.replace(/const KNOB = \d+;/, "const KNOB = 31;")}\`\`\``;
      },
      { model: "openai:paradigm" },
    );
    const proposer = new LlmProposer(new Ensemble([{ client: main, weight: 1 }]), templates, "diff", {
      roles: { paradigm: new Ensemble([{ client: paradigm, weight: 1 }]) },
    });
    const directive = (second: Program): Directive => ({
      operation: "rewrite",
      sections: [{ title: "A hint", body: "Workload w1 wants the knob at 30." }],
      secondParent: second,
      editMode: "full",
      temperature: 0.3,
      role: "paradigm",
    });
    const probe = new Probe(createStrategy({ kind: "hill-climb" }), {
      select: (s) => ({ ...s, directive: directive(s.parent) }),
    });
    const { engine: e, store } = engine({
      strategy: probe,
      proposer,
      config: config({ budget: { iterations: 1 } }),
    });
    await e.run();
    assert.equal(main.requests.length, 0);
    assert.equal(paradigm.requests.length, 1);
    const request = paradigm.requests[0]!;
    assert.equal(request.temperature, 0.3);
    const user = request.messages.at(-1)?.content ?? "";
    assert.match(user, /# A hint\n\nWorkload w1 wants the knob at 30\./);
    assert.match(user, /# Second parent \(c000000\)/);
    assert.match(user, /complete new program/, "the full-rewrite template");
    const calls = await store.ledger();
    assert.deepEqual(
      calls.map((c) => [c.role, c.model]),
      [["paradigm", "openai:paradigm"]],
    );
    const proposed = (await store.events()).find(
      (ev) => ev.type === "candidate_proposed" && ev.iteration === 1,
    );
    assert.ok(proposed?.type === "candidate_proposed", "the child was proposed");
    assert.equal(proposed.operation, "rewrite");
    assert.equal(proposed.secondParentId, "c000000");
    assert.equal(knobOf(proposed.code ?? ""), 31);
  });
});

describe("steering from the dashboard", () => {
  const proposedAt = (events: RunEvent[], iteration: number) =>
    events.findIndex((ev) => ev.type === "candidate_proposed" && ev.iteration === iteration);

  test("a hint is in every prompt from the next selection until it is withdrawn", async () => {
    const { client, proposer } = llm();
    const { engine: e, store } = engine({
      proposer,
      config: config({ budget: { iterations: 5 } }),
      onEvent: (ev) => {
        if (ev.type !== "candidate_proposed") return;
        if (ev.iteration === 1) void store.append([{ type: "hint_added", hintId: "h1", text: "Try 40." }]);
        if (ev.iteration === 3) void store.append([{ type: "hint_withdrawn", hintId: "h1" }]);
      },
    });
    await e.run();
    const hinted = client.requests.map((r) =>
      /# Hints from the researcher\n\n- Try 40\./.test(r.messages.at(-1)!.content),
    );
    assert.deepEqual(hinted, [false, true, true, false, false]);
  });

  test("paused, the run proposes nothing until it is continued", async () => {
    const store = new MemoryStore();
    // Steering reads after the pause: once the engine has read twice, it has looped paused at least once.
    let readsWhilePaused = 0;
    let pausedSeen: () => void = () => {};
    const looped = new Promise<void>((resolve) => (pausedSeen = resolve));
    const events = store.events.bind(store);
    let paused = false;
    store.events = async (after, limit, types) => {
      const read = await events(after, limit, types);
      if (paused && types && ++readsWhilePaused === 2) pausedSeen();
      return read;
    };
    const { engine: e } = engine({
      store,
      config: config({ budget: { iterations: 3 } }),
      onEvent: (ev) => {
        if (ev.type === "program_inserted" && ev.program.iteration === 0) {
          paused = true;
          void store.append([{ type: "run_paused" }]);
        }
      },
    });
    const running = e.run();
    await looped;
    assert.equal(proposedAt(await store.events(), 1), -1, "nothing proposed while paused");
    await store.append([{ type: "run_continued" }]);
    assert.equal((await running).reason, "iterations");
    const log = await store.events();
    const continued = log.findIndex((ev) => ev.type === "run_continued");
    for (const i of [1, 2, 3]) assert.ok(proposedAt(log, i) > continued, `iteration ${i} after the continue`);
  });

  test("a vetoed program is never selected again, as parent or inspiration, even by a strategy that keeps choosing it", async () => {
    const contexts: ProposalContext[] = [];
    const { proposer } = llm();
    const recording: EngineParts["proposer"] = {
      propose: (context) => {
        contexts.push(context);
        return proposer.propose(context);
      },
    };
    let vetoed: string | null = null;
    const { engine: e, store } = engine({
      proposer: recording,
      strategy: createStrategy({ kind: "hill-climb", inspirations: 3 }),
      config: config({ budget: { iterations: 8 } }),
      onEvent: (ev) => {
        // Hill-climb always picks the best, and every nudge beats its parent: veto the first child.
        if (vetoed || ev.type !== "program_inserted" || ev.program.iteration === 0) return;
        vetoed = ev.program.id;
        void store.append([{ type: "program_vetoed", programId: vetoed }]);
      },
    });
    assert.equal((await e.run()).reason, "iterations");
    assert.ok(vetoed, "a program was vetoed");
    const after = contexts.slice(contexts.findIndex((c) => c.iteration > Number(vetoed!.slice(1))));
    assert.ok(after.length > 0);
    for (const c of after) {
      assert.notEqual(c.parent.id, vetoed, `iteration ${c.iteration} chose the vetoed parent`);
      assert.ok(!c.inspirations.some((p) => p.id === vetoed), `iteration ${c.iteration} shows it`);
    }
  });

  test("a run whose every program is vetoed stops with the reason", async () => {
    const { engine: e, store } = engine({
      onEvent: (ev) => {
        if (ev.type === "program_inserted" && ev.program.iteration === 0) {
          void store.append([{ type: "program_vetoed", programId: ev.program.id }]);
        }
      },
    });
    const outcome = await e.run();
    assert.equal(outcome.reason, "error");
    assert.match(outcome.detail ?? "", /every program of the run is vetoed/);
  });

  test("a resumed run keeps its hints and vetoes, and is not paused", async () => {
    const store = new MemoryStore();
    const first = engine({ store, config: config({ budget: { iterations: 2 } }) });
    await first.engine.run();
    await store.append([{ type: "hint_added", hintId: "h1", text: "Try 40." }, { type: "run_paused" }]);
    const { client, proposer } = llm();
    const second = engine({ store, proposer, config: config({ budget: { iterations: 4 } }) });
    assert.equal((await second.engine.run()).reason, "iterations");
    assert.equal(client.requests.length, 2);
    assert.ok(client.requests.every((r) => r.messages.at(-1)!.content.includes("- Try 40.")));
  });
});
