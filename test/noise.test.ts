/**
 * Noise-aware ranking (src/engine/noise.ts): a noisy task's would-be best is
 * evaluated again beside the incumbent and promoted only on a clear win.
 *
 * The toy task (test/support/instant.ts) made noisy by the queue standing in
 * for its trusted evaluator: every run of a program scores its true score plus
 * a seeded jitter in [−1, 1], and the first run of a program the test names
 * "lucky" scores `luck` points more. As the real evaluator does, a run that is
 * not `fresh` is cached by code, so only re-evaluations measure again.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { Rng } from "../src/core/rng.ts";
import type { Evaluation, Program, Split } from "../src/core/types.ts";
import { ConfigError, parseRunConfig, resolveRunConfig, upgradeStoredConfig } from "../src/engine/config.ts";
import { Engine } from "../src/engine/engine.ts";
import { LlmProposer } from "../src/engine/llm-proposer.ts";
import { judge, rankedScore } from "../src/engine/noise.ts";
import type { CompletionRequest } from "../src/llm/client.ts";
import { Ensemble } from "../src/llm/ensemble.ts";
import { Budget, Ledger } from "../src/llm/ledger.ts";
import { loadTemplates } from "../src/prompt/index.ts";
import type { JobOptions, JobQueue } from "../src/queue/queue.ts";
import { createStrategy } from "../src/search/index.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { definitionProblems } from "../src/task/definition.ts";
import type { Store } from "../src/store/store.ts";
import { InstantEvaluator, instantClient, knobOf, nudgeKnob, toyTask } from "./support/instant.ts";
import { tempDir } from "./support/run-helpers.ts";

/** What outlives one engine: the evaluation cache and the results stored by job key (as the run's store keeps them). */
interface Stored {
  cache: Map<string, Evaluation>;
  byKey: Map<string, Evaluation>;
}

/** The toy evaluator with a seeded jitter and lucky first runs; `keyed`: results by job key are kept (WorkerQueue). */
class NoisyQueue implements JobQueue {
  readonly calls: { split: Split; key?: string; fresh: boolean; knob: number | null }[] = [];
  private readonly inner = new InstantEvaluator();
  private readonly jitter = new Rng(7);
  readonly stored: Stored;

  constructor(
    private readonly options: {
      lucky?: Record<number, number>;
      keyed?: boolean;
      stored?: Stored;
      /** Held before a run with this key resolves (a kill mid-round). */
      hold?: { key: string; reached: () => void; until: Promise<void> };
    } = {},
  ) {
    this.stored = options.stored ?? { cache: new Map(), byKey: new Map() };
  }

  workloadIds(split: Split): Promise<string[]> {
    return this.inner.workloadIds(split);
  }

  async evaluate(code: string, split: Split, workloads?: readonly string[], options: JobOptions = {}) {
    const { key, fresh = false } = options;
    const knob = knobOf(code);
    const byKey = key && this.options.keyed ? this.stored.byKey.get(key) : undefined;
    if (byKey) return structuredClone(byKey);
    const cacheKey = `${split}/${code}`;
    const cached = fresh ? undefined : this.stored.cache.get(cacheKey);
    if (cached) return structuredClone(cached);
    this.calls.push({ split, ...(key ? { key } : {}), fresh, knob });
    if (key && key === this.options.hold?.key) {
      this.options.hold.reached();
      await this.options.hold.until;
    }
    const evaluation = await this.inner.evaluate(code, split, workloads);
    if (evaluation.status === "ok" && split === "train") {
      const luck = !fresh && knob !== null ? (this.options.lucky?.[knob] ?? 0) : 0;
      evaluation.score += luck + (this.jitter.next() * 2 - 1);
    }
    if (!fresh) this.stored.cache.set(cacheKey, structuredClone(evaluation));
    if (key && this.options.keyed) this.stored.byKey.set(key, structuredClone(evaluation));
    return evaluation;
  }

  /** Re-evaluations run by this queue (the evaluation cache bypassed). */
  get fresh(): number {
    return this.calls.filter((c) => c.fresh).length;
  }
}

/** A model whose n-th reply moves the parent's knob by `steps[n]`. */
function scriptedProposer(steps: readonly number[]) {
  let n = 0;
  const client = instantClient((r: CompletionRequest) => nudgeKnob(r, steps[n++] ?? -5), { costUsd: 0 });
  return new LlmProposer(new Ensemble([{ client, weight: 1 }]), loadTemplates(), "diff", {
    ledger: new Ledger(new Budget(undefined)),
  });
}

// The seed (knob 10) scores 60 on the toy's train split; knob 9 scores 58 (worse), knob 13 scores 66.
const WORSE = -1;
const BETTER = 3;

function noisyRun(
  queue: JobQueue,
  steps: readonly number[],
  options: {
    noisy?: boolean;
    repeats?: number;
    store?: Store;
    heartbeatMs?: number;
    notices?: string[];
  } = {},
) {
  const config = parseRunConfig(
    {
      task: "toy",
      budget: { iterations: steps.length },
      concurrency: { proposals: 1, evaluations: 1, ordered: true },
      strategy: { kind: "hill-climb" },
      evaluation: { repeats: options.repeats ?? 5 },
      seed: 3,
    },
    "test config",
  );
  const task = toyTask();
  if (options.noisy ?? true) task.noisy = ["distance"];
  const store = options.store ?? new MemoryStore();
  const engine = new Engine({
    config,
    task,
    store,
    strategy: createStrategy(config.strategy),
    proposer: scriptedProposer(steps),
    queue,
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    onNotice: (line) => options.notices?.push(line),
  });
  return { engine, store };
}

async function programsById(store: Store): Promise<Map<string, Program>> {
  return new Map((await store.programs()).map((p) => [p.id, p]));
}

test("the rule: medians, and a win beyond the larger half-range; the score on the incumbent's scale", () => {
  const incumbent = { id: "c000003", score: 70 };
  // Medians 62 vs 60, half-ranges 1 and 1.5: a gap of 2 beats 1.5.
  const win = judge([61, 62, 63], incumbent, [58.5, 60, 61.5]);
  assert.deepEqual([win.median, win.spread, win.incumbent?.median, win.incumbent?.spread], [62, 1, 60, 1.5]);
  assert.equal(win.won, true);
  assert.equal(rankedScore(win), 72, "the incumbent's stored 70 plus the measured gap of 2");
  // A gap of 2 within a half-range of 3 is no win: ranked at most at the incumbent's score.
  const lose = judge([59, 62, 65], incumbent, [59, 60, 61]);
  assert.equal(lose.won, false);
  assert.equal(rankedScore(lose), 70);
  // One wild run moves a median little: a lucky 90 among 58s does not win.
  const wild = judge([58, 90, 58], incumbent, [60, 60, 60]);
  assert.equal(wild.won, false);
  assert.equal(rankedScore(wild), 68);
});

test("a lucky single evaluation does not displace the incumbent; a truly better candidate does; score ± spread is stored", {
  timeout: 20_000,
}, async () => {
  // Without re-evaluations the lucky worse child (58 + 10) becomes the best: the fixture is lucky indeed.
  const control = noisyRun(new NoisyQueue({ lucky: { 9: 10 } }), [WORSE], { repeats: 0 });
  await control.engine.run();
  assert.equal((await control.store.best())?.program.id, "c000001");

  const queue = new NoisyQueue({ lucky: { 9: 10, 13: 10 } });
  const notices: string[] = [];
  const { engine, store } = noisyRun(queue, [WORSE, BETTER], { notices });
  const outcome = await engine.run();
  assert.equal(outcome.reason, "iterations");
  const programs = await programsById(store);
  const seed = programs.get("c000000")!;
  const lucky = programs.get("c000001")!;
  const better = programs.get("c000002")!;

  // The seed's floor: 5 runs of its own, its score their median.
  assert.equal(seed.noise?.samples.length, 5);
  assert.equal(seed.noise?.incumbent, undefined);
  assert.equal(seed.score, seed.noise?.median);
  assert.ok(seed.noise!.spread > 0 && seed.noise!.spread <= 1);
  assert.match(
    notices.join("\n"),
    /noise floor: the seed c000000 scores \d+\.\d\d ± \d\.\d\d over 5 evaluations/,
  );

  // The lucky child scored 68 once, but its round against the seed says 58: no clear win.
  assert.equal(lucky.noise?.won, false);
  assert.equal(lucky.noise?.incumbent?.id, "c000000");
  assert.deepEqual([lucky.noise?.samples.length, lucky.noise?.incumbent?.samples.length], [5, 5]);
  assert.ok(lucky.score <= seed.score, `ranked ${lucky.score} above the seed's ${seed.score}`);
  assert.ok(Math.abs(lucky.noise!.median - 58) <= 1);

  // The better child (66) wins its round by about 6 against the seed's fresh runs.
  assert.equal(better.noise?.won, true);
  assert.equal(
    better.parentId,
    "c000000",
    "the hill-climb's parent stayed the seed: c000001 never was the best",
  );
  const gap = better.noise!.median - better.noise!.incumbent!.median;
  assert.ok(Math.abs(gap - 6) <= 2);
  assert.equal(better.score, seed.score + gap);
  assert.equal(outcome.best?.id, "c000002");

  // Stored and summarised: the best's spread, the floor, the rounds and every re-evaluation.
  const summary = await store.summary();
  assert.equal(summary.best?.id, "c000002");
  assert.equal(summary.best?.spread, better.noise?.spread);
  assert.deepEqual(summary.noise, {
    floor: { median: seed.noise!.median, spread: seed.noise!.spread, samples: 5 },
    rounds: 2,
    won: 1,
    reevaluations: 25,
  });
  assert.equal(summary.evaluations, 3, "re-evaluations are not candidates' evaluations");

  // Every re-evaluation bypassed the cache under a key of its own; each round alternated candidate and incumbent.
  const fresh = queue.calls.filter((c) => c.fresh);
  assert.equal(fresh.length, 25);
  assert.equal(new Set(fresh.map((c) => c.key)).size, 25);
  const round = fresh.filter((c) => c.key?.startsWith("c000002/")).map((c) => c.knob);
  assert.deepEqual(round, [13, 10, 13, 10, 13, 10, 13, 10, 13, 10]);
});

test("a deterministic task runs no re-evaluation: one train evaluation per candidate, as before", {
  timeout: 20_000,
}, async () => {
  const queue = new NoisyQueue({ lucky: { 9: 10 } });
  const { engine, store } = noisyRun(queue, [WORSE, BETTER, 5], { noisy: false });
  await engine.run();
  const train = queue.calls.filter((c) => c.split === "train");
  assert.equal(train.length, 4, "the seed and three children, once each");
  assert.equal(queue.fresh, 0);
  assert.equal((await store.summary()).noise, null);
  assert.equal((await store.summary()).best?.spread, null);
  for (const p of await store.programs()) assert.equal(p.noise, undefined);
});

for (const keyed of [false, true]) {
  test(`a run killed mid-round resumes it: ${keyed ? "completed from the results stored by job key" : "redone"}, never lost or counted twice`, {
    timeout: 20_000,
  }, async () => {
    const store = new MemoryStore();
    const stored: Stored = { cache: new Map(), byKey: new Map() };
    // The first session stops dead inside c000002's round, after three of its ten runs.
    let reached!: () => void;
    const inRound = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const never = new Promise<void>(() => {});
    const first = new NoisyQueue({
      lucky: { 9: 10, 13: 10 },
      keyed,
      stored,
      hold: { key: "c000002/train/versus-c000000-1", reached, until: never },
    });
    const killed = noisyRun(first, [WORSE, BETTER], { store, heartbeatMs: 1e9 });
    void killed.engine.run();
    await inRound;
    killed.engine.stop("interrupted");
    const before = await store.summary();
    assert.equal(before.programs, 2, "c000002 is not stored until its round ends");
    // The held run is the fourth of the round: three were done.
    const doneBefore = first.calls.filter((c) => c.fresh && c.key?.startsWith("c000002/")).length - 1;
    assert.equal(doneBefore, 3);

    const second = new NoisyQueue({ lucky: { 9: 10, 13: 10 }, keyed, stored });
    const resumed = noisyRun(second, [WORSE, BETTER], { store });
    const outcome = await resumed.engine.run();
    assert.equal(outcome.best?.id, "c000002");
    const rerun = second.calls.filter((c) => c.fresh && c.key?.startsWith("c000002/")).length;
    assert.equal(rerun, keyed ? 10 - doneBefore : 10);

    const better = (await programsById(store)).get("c000002")!;
    assert.deepEqual([better.noise?.samples.length, better.noise?.incumbent?.samples.length], [5, 5]);
    if (keyed) {
      // The runs done before the kill are the round's first samples, taken from the store, not measured again.
      const doneOwn = [...stored.byKey.entries()]
        .filter(([k]) => /^c000002\/train\/repeat-[01]$/.test(k))
        .map(([, e]) => e.score);
      assert.deepEqual(better.noise?.samples.slice(0, 2), doneOwn);
    }
    const inserted = (await store.events()).filter(
      (e) => e.type === "program_inserted" && e.program.id === "c000002",
    );
    assert.equal(inserted.length, 1);
    assert.equal((await store.summary()).noise?.reevaluations, 25);
  });
}

test("adrs run on a noisy task measures the seed's noise floor; status and best show score ± spread", {
  timeout: 120_000,
}, () => {
  const out = join(tempDir("noise"), "run");
  const task = join(import.meta.dirname, "fixtures", "noise", "noisy-sum");
  const adrs = (...args: string[]) =>
    spawnSync(process.execPath, [join(import.meta.dirname, "..", "bin", "adrs.js"), ...args], {
      encoding: "utf8",
      env: { ...process.env, OPENAI_API_KEY: "" },
    });
  const run = adrs("run", task, "--iterations", "3", "--repeats", "3", "--out", out, "--seed", "5");
  assert.equal(run.status, 0, run.stderr);
  assert.match(
    run.stderr,
    /noise floor: the seed c000000 scores \d+\.\d\d ± \d\.\d\d over 3 evaluations \(noisy metrics: relError\)/,
  );

  const status = JSON.parse(adrs("status", out, "--json").stdout);
  assert.equal(status.noise.floor.samples, 3);
  assert.ok(status.noise.floor.spread > 0, "the jitter moves the seed's runs apart");
  assert.equal(status.evaluations, 4, "the seed and three candidates: re-evaluations are counted apart");
  assert.equal(status.noise.reevaluations, 3 + 6 * status.noise.rounds);
  assert.equal(typeof status.best.spread, "number");
  const text = adrs("status", out).stdout;
  assert.match(text, new RegExp(`score ${status.best.score.toFixed(2)} ± ${status.best.spread.toFixed(2)}`));
  assert.match(text, /noise {8}floor ± \d\.\d\d \(the seed \d+\.\d\d over 3 evaluations\)/);

  const best = JSON.parse(adrs("best", out, "--json").stdout);
  assert.equal(best.id, status.best.id);
  assert.equal(best.spread, status.best.spread);
  assert.match(adrs("best", out).stderr, /score \d+\.\d\d ± \d\.\d\d \(3 evaluations\)/);
});

test("a task's noisy list and evaluation.repeats are checked, each error naming its field or flag", () => {
  const file = join(import.meta.dirname, "fixtures", "noise", "noisy-sum", "task.ts");
  const task = {
    id: "noisy-sum",
    title: "t",
    version: "1",
    dir: ".",
    metric: { name: "m", direction: "maximize" },
  };
  const problems = (noisy: unknown) =>
    definitionProblems({ ...task, noisy }, file).filter((p) => p.includes('"noisy'));
  assert.deepEqual(problems("time_ms"), ['field "noisy" must be a list of metric names (got "time_ms")']);
  assert.deepEqual(problems([]), [
    'field "noisy" must be a non-empty list of metric names (omit it for a deterministic task) (got an array)',
  ]);
  assert.deepEqual(problems(["time_ms", ""]), ['field "noisy[1]" must be a metric name (got "")']);
  assert.deepEqual(problems(["time_ms"]), []);

  assert.equal(parseRunConfig({ task: "t" }, "run.yaml").evaluation.repeats, 5);
  // A run stored before the key existed keeps ranking on one evaluation when resumed.
  assert.equal(parseRunConfig(upgradeStoredConfig({ task: "t" }), "run.db").evaluation.repeats, 0);
  assert.equal(
    parseRunConfig(upgradeStoredConfig({ task: "t", evaluation: { repeats: 3 } }), "run.db").evaluation
      .repeats,
    3,
  );
  assert.throws(
    () => parseRunConfig({ task: "t", evaluation: { repeats: -1 } }, "run.yaml"),
    (e: Error) => e instanceof ConfigError && /^run\.yaml: evaluation\.repeats: /.test(e.message),
  );
  assert.equal(resolveRunConfig(undefined, { task: "t", repeats: 0 }).evaluation.repeats, 0);
  assert.throws(() => resolveRunConfig(undefined, { task: "t", repeats: 1.5 }), /--repeats: /);
});
