/**
 * The dollar budget as a hard stop, the cost ledger, and the checks a run
 * makes on its models before anything is written.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ConfigError } from "../src/engine/config.ts";
import { resumeRun, startRun } from "../src/engine/session.ts";
import {
  BUDGET_DEFAULT_MAX_TOKENS,
  Budget,
  costUsd,
  estimateCostUsd,
  Ledger,
  type LlmClient,
  LlmError,
} from "../src/llm/index.ts";
import { type MockLlm, startMockLlm } from "./support/mock-llm.ts";
import { mockRunConfig, tempDir, widenSample, withStore } from "./support/run-helpers.ts";

describe("Budget", () => {
  test("holds are refused once spent + held would pass the limit, and settle at the actual cost", () => {
    const budget = new Budget(1);
    const a = budget.hold();
    const b = budget.hold();
    assert.equal(a.set(0.6), true);
    assert.equal(b.set(0.5), false, "0.6 held + 0.5 > 1");
    assert.equal(budget.reservedUsd, 0.6);
    assert.match(budget.exhausted ?? "", /did not fit in the \$1 budget/);
    assert.equal(b.set(0.4), true);
    assert.equal(budget.remainingUsd, 0);
    a.settle(0.1);
    assert.ok(Math.abs(budget.spentUsd - 0.1) < 1e-12);
    assert.ok(Math.abs(budget.reservedUsd - 0.4) < 1e-12);
    // A hold can grow (a retry after a billed attempt) as long as it fits.
    assert.equal(b.set(0.9), true);
    assert.equal(b.set(0.91), false);
    b.settle(0.3);
    assert.ok(Math.abs(budget.spentUsd - 0.4) < 1e-12);
    assert.equal(budget.reservedUsd, 0);
  });

  test("without a limit nothing is refused", () => {
    const budget = new Budget(undefined);
    assert.equal(budget.hold().set(1e9), true);
    assert.equal(budget.exhausted, null);
  });
});

describe("Ledger", () => {
  const messages = [{ role: "user" as const, content: "x".repeat(400) }];
  const price = { inputPerMTok: 1000, outputPerMTok: 1000 };
  const fake = (reply: () => Promise<string>): LlmClient & { seen: number[] } => {
    const seen: number[] = [];
    return {
      model: "openai:fake",
      price,
      seen,
      async complete(request) {
        seen.push(request.maxTokens ?? -1);
        if (request.reserve && !(await request.reserve(1, estimateCostUsd(request, price)))) {
          throw new LlmError({ kind: "budget", model: "openai:fake", message: "refused", attempts: 0 });
        }
        const text = await reply();
        const usage = {
          inputTokens: 100,
          outputTokens: 10,
          costUsd: costUsd({ inputTokens: 100, outputTokens: 10 }, price),
        };
        return { text, model: "openai:fake", usage, finishReason: "stop" };
      },
    };
  };

  test("records each call with its role, candidate, messages, reply and cost", async () => {
    const ledger = new Ledger(new Budget(undefined));
    const client = fake(async () => "reply");
    await ledger.complete(client, { messages }, { role: "mutation", candidateId: "c000001", iteration: 1 });
    await ledger.complete(client, { messages }, { role: "novelty", candidateId: null, iteration: null });
    const [call] = ledger.take("c000001");
    assert.equal(call?.role, "mutation");
    assert.equal(call?.reply, "reply");
    assert.equal(call?.outcome, "ok");
    assert.deepEqual(call?.messages, messages);
    assert.equal(call?.usage.costUsd, 0.11);
    assert.deepEqual(ledger.take("c000001"), []);
    assert.deepEqual(
      ledger.takeAll().map((c) => c.role),
      ["novelty"],
    );
    // No budget: no token limit is imposed.
    assert.deepEqual(client.seen, [-1, -1]);
  });

  test("under a budget every request carries a token limit, and a refused one is not a call", async () => {
    // Each request may cost 100 prompt tokens + 16,384 output tokens at $1000/MTok: $16.48; it costs $0.11.
    const ledger = new Ledger(new Budget(16.55));
    const client = fake(async () => "reply");
    await ledger.complete(client, { messages }, { role: "mutation", candidateId: "a", iteration: 1 });
    assert.deepEqual(client.seen, [BUDGET_DEFAULT_MAX_TOKENS]);
    await assert.rejects(
      ledger.complete(client, { messages }, { role: "mutation", candidateId: "b", iteration: 2 }),
      (e: unknown) => e instanceof LlmError && e.kind === "budget",
    );
    assert.deepEqual(ledger.take("b"), [], "nothing was sent, so nothing is recorded");
    assert.match(ledger.budget.exhausted ?? "", /did not fit/);
    assert.ok(ledger.budget.spentUsd <= 16.55);
    // A smaller limit per request fits again.
    const small = await ledger.complete(
      client,
      { messages, maxTokens: 1000 },
      { role: "repair", candidateId: "a", iteration: 1 },
    );
    assert.equal(small.text, "reply");
  });
});

describe("a run with a dollar budget", () => {
  let mock: MockLlm;
  before(async () => {
    // Slow replies keep several requests in flight at every moment.
    mock = await startMockLlm({ responder: (body) => ({ text: widenSample(body), delayMs: 150 }) });
  });
  after(async () => {
    await mock.close();
  });

  const price = { inputPerMTok: 1, outputPerMTok: 4 };
  const config = (out: string, usd: number) =>
    mockRunConfig(mock.url, out, {
      models: [{ model: "openai:mock-coder", baseUrl: mock.url, price, maxTokens: 200 }],
      concurrency: { proposals: 3, evaluations: 2 },
      budget: { iterations: 60, usd },
    });

  test("stops with budget_usd, never spending more than the budget, requests in flight included", async () => {
    const out = join(tempDir("budget"), "run");
    // About 2,000 prompt tokens and 60 reply tokens per call: ~$0.0023 a call, ~$0.0028 held before it.
    const usd = 0.02;
    const session = await startRun(config(out, usd));
    const outcome = await session.run();
    assert.equal(outcome.reason, "budget_usd");
    assert.match(outcome.detail ?? "", /did not fit|spent/);
    await withStore(out, async (store) => {
      const ledger = await store.ledger();
      const spent = ledger.reduce((sum, c) => sum + c.usage.costUsd, 0);
      assert.ok(spent <= usd, `spent $${spent} of $${usd}`);
      // The budget was used, not abandoned early: within three held requests of the limit.
      const summary = await store.summary();
      assert.ok(spent > usd - 3 * 0.0035, `only $${spent} of $${usd} spent`);
      assert.ok(summary.iterations < 60);
      assert.equal(summary.state, "stopped");
      assert.equal(summary.stopReason, "budget_usd");
      assert.ok(Math.abs(summary.costUsd - spent) < 1e-12);
      // Every request the provider received is in the ledger: nothing was sent unaccounted.
      assert.equal(mock.requests.length, ledger.length);
      // Every stored candidate's calls are stored with it; no proposal is half-stored.
      const proposed = (await store.events()).filter(
        (e) => e.type === "candidate_proposed" && e.iteration > 0,
      );
      assert.equal(proposed.length, new Set(ledger.map((c) => c.candidateId)).size);
    });

    // Resuming with the same budget restores the spend from the store: with nothing in flight
    // any more, it may use what the held requests had kept back, and no more.
    const again = await resumeRun(out);
    assert.equal((await again.run()).reason, "budget_usd");
    await withStore(out, async (store) => {
      const spent = (await store.totalUsage()).costUsd;
      assert.ok(spent <= usd, `spent $${spent} of $${usd} after resuming`);
      assert.equal(mock.requests.length, (await store.ledger()).length);
    });

    // A larger budget continues the same run, and its spend stays under the new limit.
    const more = await resumeRun(out, { budget: { usd: usd + 0.01 } });
    assert.equal((await more.run()).reason, "budget_usd");
    await withStore(out, async (store) => {
      const spent = (await store.totalUsage()).costUsd;
      assert.ok(spent > usd && spent <= usd + 0.01, `spent $${spent}`);
    });
  });

  test("a model with no known price and a dollar budget is an error before anything is written", async () => {
    const out = join(tempDir("budget"), "run");
    const unpriced = mockRunConfig(mock.url, out, {
      models: [
        { model: "openai:mock-coder", baseUrl: mock.url, price },
        { model: "openai:my-local-model", baseUrl: mock.url },
      ],
      budget: { iterations: 3, usd: 1 },
    });
    await assert.rejects(startRun(unpriced), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(
        e.message,
        /models\.1: openai:my-local-model has no known price, and budget\.usd needs one/,
      );
      assert.match(e.message, /set models\.1\.price/);
      return true;
    });
    assert.equal(existsSync(out), false);
  });

  test("without a budget an unpriced model is a notice, and the run goes on", async () => {
    const out = join(tempDir("budget"), "run");
    const notices: string[] = [];
    const session = await startRun(
      mockRunConfig(mock.url, out, {
        models: [{ model: "openai:my-local-model", baseUrl: mock.url }],
        budget: { iterations: 1 },
      }),
      { onNotice: (line) => notices.push(line) },
    );
    assert.ok(
      notices.some((n) => /openai:my-local-model has no known price.*\$0/.test(n)),
      notices.join("\n"),
    );
    assert.equal((await session.run()).reason, "iterations");
  });

  test("a missing key is an error naming the variable, before anything is written", async () => {
    const out = join(tempDir("budget"), "run");
    const keyed = mockRunConfig(mock.url, out, {
      models: [
        { model: "anthropic:claude-sonnet-4-5" },
        { model: "gemini:gemini-2.5-flash" },
        { model: "openai:gpt-5-mini" },
      ],
    });
    await assert.rejects(startRun(keyed, { env: {} }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /models\.0: anthropic:claude-sonnet-4-5: no API key\. Set ANTHROPIC_API_KEY/);
      assert.match(
        e.message,
        /models\.1: gemini:gemini-2\.5-flash: no API key\. Set GEMINI_API_KEY or GOOGLE_API_KEY/,
      );
      assert.match(e.message, /models\.2: openai:gpt-5-mini: no API key\. Set OPENAI_API_KEY/);
      return true;
    });
    assert.equal(existsSync(out), false);
  });

  test("a run pins the prices it starts with into its stored config", async () => {
    const out = join(tempDir("budget"), "run");
    const session = await startRun(
      mockRunConfig(mock.url, out, {
        models: [{ model: "openai:gpt-5-mini", baseUrl: mock.url }],
        budget: { iterations: 1 },
      }),
      { env: {} },
    );
    assert.deepEqual(session.config.models[0]?.price, {
      inputPerMTok: 0.25,
      cachedInputPerMTok: 0.025,
      outputPerMTok: 2,
    });
    await session.run();
    await withStore(out, async (store) => {
      const stored = (await store.startConfig()) as { models: Array<{ price?: unknown }> };
      assert.deepEqual(stored.models[0]?.price, session.config.models[0]?.price);
    });
  });
});
