/**
 * The ensemble's policies (fixed weights, the cost-aware bandit) and the
 * resting of failing models: alone, and in runs against the mock.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Rng } from "../src/core/rng.ts";
import { resumeRun, startRun } from "../src/engine/session.ts";
import { Ensemble, type EnsembleOptions, type LlmClient } from "../src/llm/index.ts";
import { type MockLlm, startMockLlm } from "./support/mock-llm.ts";
import { mockRunConfig, tempDir, widenSample, withStore } from "./support/run-helpers.ts";

/** A call's usage that cost `costUsd`. */
const spent = (costUsd: number) => ({ inputTokens: 0, outputTokens: 0, costUsd });

const fake = (model: string): LlmClient => ({
  model,
  complete: async () => {
    throw new Error("not called");
  },
});

/**
 * Plays `rounds` proposals: each picked model's child gains a point with
 * probability `hit` and costs `cost[model]` dollars. Returns the picks.
 */
function play(options: EnsembleOptions, cost: Record<string, number>, rounds: number, seed = 1): string[] {
  const ens = new Ensemble(
    Object.keys(cost).map((m) => ({ client: fake(m), weight: 1 })),
    options,
  );
  const rng = new Rng(seed);
  const luck = new Rng(seed + 1);
  const picks: string[] = [];
  for (let i = 1; i <= rounds; i++) {
    const model = ens.pick(rng, i).client.model;
    picks.push(model);
    ens.observeCall({ model, iteration: i, usage: spent(cost[model]!), outcome: "ok" });
    ens.observeOutcome({ model, gain: luck.next() < 0.3 ? 1 : 0 });
  }
  return picks;
}

const share = (picks: string[], model: string) => picks.filter((m) => m === model).length / picks.length;

describe("the bandit", () => {
  const cost = { "openai:cheap": 0.001, "openai:dear": 0.01 };

  test("shifts the share toward the model whose children gain more per dollar", () => {
    // Both models' children improve equally often; one costs ten times less.
    const picks = play({ policy: "bandit" }, cost, 300);
    const late = picks.slice(100);
    assert.ok(share(late, "openai:cheap") > 0.8, `cheap share ${share(late, "openai:cheap")}`);
    // The floor keeps the other model sampled.
    assert.ok(share(late, "openai:dear") > 0.02, `dear share ${share(late, "openai:dear")}`);
    // Fixed weights do not learn.
    const weighted = play({ policy: "weighted" }, cost, 300).slice(100);
    assert.ok(Math.abs(share(weighted, "openai:cheap") - 0.5) < 0.1);
  });

  test("follows the gain when costs are equal", () => {
    const ens = new Ensemble(
      [
        { client: fake("openai:a"), weight: 1 },
        { client: fake("openai:b"), weight: 1 },
      ],
      { policy: "bandit", floor: 0.2 },
    );
    for (let i = 0; i < 20; i++) {
      for (const model of ["openai:a", "openai:b"]) {
        ens.observeCall({ model, iteration: i, usage: spent(0.01), outcome: "ok" });
        ens.observeOutcome({ model, gain: model === "openai:b" && i % 2 === 0 ? 2 : 0 });
      }
    }
    assert.deepEqual(ens.probabilities(20), [0.1, 0.9]);
    const report = ens.report(20);
    assert.equal(report[1]?.pulls, 20);
    assert.equal(report[1]?.gainPerUsd, 100);
  });

  test("tries every model before trusting any, and draws exactly one number per pick", () => {
    const ens = new Ensemble(
      ["openai:a", "openai:b", "openai:c"].map((m) => ({ client: fake(m), weight: 1 })),
      { policy: "bandit", floor: 0 },
    );
    const rng = new Rng(3);
    const twin = new Rng(3);
    const first = ens.pick(rng, 1).client.model;
    twin.next();
    assert.deepEqual(rng.state(), twin.state());
    assert.equal(first, "openai:a");
    ens.observeOutcome({ model: "openai:a", gain: 5 });
    assert.equal(ens.pick(rng, 2).client.model, "openai:b");
  });

  test("its statistics do not depend on the order outcomes arrive in", () => {
    const outcomes = Array.from({ length: 40 }, (_, i) => ({
      model: i % 3 === 0 ? "openai:a" : "openai:b",
      gain: ((i * 7919) % 13) / 3.7,
      cost: ((i * 104729) % 17) / 1234.5,
    }));
    const build = (order: typeof outcomes) => {
      const ens = new Ensemble(
        ["openai:a", "openai:b"].map((m) => ({ client: fake(m), weight: 1 })),
        { policy: "bandit" },
      );
      for (const o of order) {
        ens.observeCall({ model: o.model, iteration: 1, usage: spent(o.cost), outcome: "ok" });
        ens.observeOutcome(o);
      }
      return ens.probabilities(50);
    };
    assert.deepEqual(build([...outcomes].reverse()), build(outcomes));
  });
});

describe("resting a failing model", () => {
  test("after N failures in a row a model sits out, its share going to the others, with a warning", () => {
    const warnings: string[] = [];
    const ens = new Ensemble(
      [
        { client: fake("openai:flaky"), weight: 1 },
        { client: fake("openai:steady"), weight: 3 },
      ],
      { restAfterFailures: 2, restIterations: 5, onWarning: (w) => warnings.push(w) },
    );
    ens.observeCall({
      model: "openai:flaky",
      iteration: 3,
      usage: spent(0),
      outcome: "server",
      error: "server",
    });
    ens.observeCall({ model: "openai:flaky", iteration: 4, usage: spent(0), outcome: "ok" });
    ens.observeCall({ model: "openai:flaky", iteration: 5, usage: spent(0), outcome: "server" });
    assert.deepEqual(ens.probabilities(6), [0.25, 0.75], "a success resets the count");
    ens.observeCall({
      model: "openai:flaky",
      iteration: 6,
      usage: spent(0),
      outcome: "rate_limit",
      error: "rate_limit",
    });
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0] ?? "",
      /openai:flaky failed 2 calls in a row \(last: rate_limit\); resting it until iteration 12/,
    );
    for (let i = 7; i < 12; i++) assert.deepEqual(ens.probabilities(i), [0, 1], `iteration ${i}`);
    assert.deepEqual(ens.probabilities(12), [0.25, 0.75]);
    const rng = new Rng(1);
    for (let i = 0; i < 50; i++) assert.equal(ens.pick(rng, 8).client.model, "openai:steady");
    assert.equal(ens.report(8)[0]?.restedUntil, 12);
  });

  test("when every model is resting, all take part again", () => {
    const ens = new Ensemble(
      ["openai:a", "openai:b"].map((m) => ({ client: fake(m), weight: 1 })),
      { restAfterFailures: 1, restIterations: 5 },
    );
    ens.observeCall({ model: "openai:a", iteration: 1, usage: spent(0), outcome: "server" });
    ens.observeCall({ model: "openai:b", iteration: 1, usage: spent(0), outcome: "server" });
    assert.deepEqual(ens.probabilities(3), [0.5, 0.5]);
  });

  test("a lone model is never rested", () => {
    const warnings: string[] = [];
    const ens = new Ensemble([{ client: fake("openai:a"), weight: 1 }], {
      restAfterFailures: 1,
      onWarning: (w) => warnings.push(w),
    });
    ens.observeCall({ model: "openai:a", iteration: 1, usage: spent(0), outcome: "server" });
    assert.deepEqual(ens.probabilities(2), [1]);
    assert.deepEqual(warnings, []);
  });
});

describe("in a run against the mock", () => {
  let mock: MockLlm;
  before(async () => {
    mock = await startMockLlm({
      responder: (body) => {
        if (body.model === "flaky") return { fault: "500" };
        // "lazy" never finds an edit to make; "keen" always improves the program.
        return body.model === "lazy" ? "I have no idea." : widenSample(body);
      },
    });
  });
  after(async () => {
    await mock.close();
  });

  const model = (name: string, extra: Record<string, unknown> = {}) => ({
    model: `openai:${name}`,
    baseUrl: mock.url,
    price: { inputPerMTok: 1, outputPerMTok: 4 },
    maxRetries: 0,
    ...extra,
  });

  test("the bandit gives most proposals to the model whose children improve", async () => {
    const out = join(tempDir("ensemble"), "run");
    const session = await startRun(
      mockRunConfig(mock.url, out, {
        models: [model("lazy"), model("keen")],
        ensemble: { policy: "bandit", floor: 0.1 },
        concurrency: { proposals: 1, evaluations: 1 },
        budget: { iterations: 14 },
        seed: 5,
      }),
    );
    assert.equal((await session.run()).reason, "iterations");
    await withStore(out, async (store) => {
      const byModel = new Map<string, number>();
      for (const o of await store.outcomes()) byModel.set(o.model, (byModel.get(o.model) ?? 0) + 1);
      const keen = byModel.get("openai:keen") ?? 0;
      const lazy = byModel.get("openai:lazy") ?? 0;
      assert.equal(keen + lazy, 14);
      assert.ok(keen >= 10 && lazy >= 1, `keen ${keen}, lazy ${lazy}`);
    });
  });

  test("a model that keeps failing is rested, with a warning, and the run finishes", async () => {
    const out = join(tempDir("ensemble"), "run");
    const notices: string[] = [];
    const session = await startRun(
      mockRunConfig(mock.url, out, {
        models: [model("flaky", { weight: 3 }), model("keen")],
        ensemble: { restAfterFailures: 2, restIterations: 4 },
        concurrency: { proposals: 1, evaluations: 1 },
        budget: { iterations: 10 },
        seed: 2,
      }),
      { onNotice: (line) => notices.push(line) },
    );
    assert.equal((await session.run()).reason, "iterations");
    const warning = notices.find((n) => /openai:flaky failed 2 calls in a row/.test(n));
    assert.ok(warning, notices.join("\n"));
    const until = Number(/until iteration (\d+)/.exec(warning)?.[1]);
    await withStore(out, async (store) => {
      const flaky = (await store.ledger()).filter((c) => c.model === "openai:flaky");
      assert.ok(flaky.every((c) => c.outcome === "server"));
      const restStart = until - 5;
      assert.ok(
        flaky.every((c) => c.iteration === null || c.iteration <= restStart || c.iteration >= until),
        `flaky called while resting: ${flaky.map((c) => c.iteration).join(", ")} (rest ${restStart + 1}–${until - 1})`,
      );
      const summary = await store.summary();
      assert.equal(summary.spend.find((s) => s.model === "openai:flaky")?.failed, flaky.length);
    });
  });

  test("a run stopped and resumed picks models exactly as if it had not stopped", async () => {
    const config = (out: string) =>
      mockRunConfig(mock.url, out, {
        models: [model("flaky"), model("lazy"), model("keen")],
        ensemble: { policy: "bandit", restAfterFailures: 2, restIterations: 3 },
        // Ordered: a resumed run equals an uninterrupted one only when neither depends on timing.
        concurrency: { proposals: 1, evaluations: 1, ordered: true },
        budget: { iterations: 12 },
        seed: 9,
      });
    const picture = (out: string) =>
      withStore(out, async (store) => ({
        calls: (await store.ledger()).map((c) => [c.iteration, c.model, c.role, c.outcome]),
        programs: (await store.programs()).map((p) => [p.id, p.parentId, p.model, p.code]),
      }));
    const straight = join(tempDir("ensemble"), "run");
    await (await startRun(config(straight))).run();

    const interrupted = join(tempDir("ensemble"), "run");
    const first = await startRun(config(interrupted), {
      onEvent: (e) => {
        if (e.type === "candidate_proposed" && e.iteration === 6) first.engine.stop("interrupted");
      },
    });
    assert.equal((await first.run()).reason, "interrupted");
    assert.equal((await resumeRun(interrupted).then((s) => s.run())).reason, "iterations");
    const expected = await picture(straight);
    assert.ok(new Set(expected.calls.map((c) => c[1])).size === 3, "every model was picked");
    assert.deepEqual(await picture(interrupted), expected);
  });
});
