/**
 * The three providers' clients against the mock server, each in its own wire
 * format, streamed and not: completion, usage, and the same resilience (SDK
 * or transport retries honouring Retry-After, our retries of cut, stalled,
 * garbage and empty replies, timeouts).
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import {
  AnthropicClient,
  type ClientConfig,
  costUsd,
  createClient,
  GeminiClient,
  type LlmClient,
  LlmError,
  type Provider,
  priceFor,
} from "../src/llm/index.ts";
import { mockClient } from "./support/mock-client.ts";
import { FAULT_TIMEOUT_MS, type MockLlm, startMockLlm } from "./support/mock-llm.ts";

const messages = [
  { role: "system" as const, content: "You improve schedulers." },
  { role: "user" as const, content: "Make it faster." },
];
const promptTokens = Math.ceil((messages[0]!.content.length + messages[1]!.content.length) / 4);
const price = { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5 };

let llm: MockLlm;
before(async () => {
  llm = await startMockLlm();
});
after(async () => {
  await llm.close();
});
beforeEach(() => {
  llm.requests.length = 0;
  llm.headers.length = 0;
  llm.setDefault(() => "mock reply");
});

const providers: Provider[] = ["openai", "anthropic", "gemini"];

function client(provider: Provider, options: Partial<ClientConfig> = {}): LlmClient {
  return mockClient(llm, provider, { price, ...options });
}

for (const provider of providers) {
  describe(`${provider} against the mock`, () => {
    for (const stream of [false, true]) {
      const mode = stream ? "streamed" : "non-streamed";

      test(`${mode}: completes with text, usage, cost and the request as sent`, async () => {
        const text = "a reply long enough to be split over several SSE chunks by the mock";
        llm.enqueue({ text });
        const c = await client(provider, { stream }).complete({ messages, temperature: 0.5, maxTokens: 300 });
        assert.equal(c.text, text);
        assert.equal(c.model, `${provider}:mock-model`);
        assert.equal(c.finishReason, "stop");
        assert.equal(c.usage.inputTokens, promptTokens);
        assert.equal(c.usage.outputTokens, Math.ceil(text.length / 4));
        assert.equal(c.usage.costUsd, costUsd(c.usage, price));
        assert.ok(c.usage.costUsd > 0);
        assert.equal(c.usageEstimated, undefined);
        const body = llm.requests[0]!;
        assert.equal(body.api, provider);
        assert.equal(body.model, "mock-model");
        assert.equal(body.stream === true, stream);
        assert.equal(body.temperature, 0.5);
        assert.equal(body.max_tokens, 300);
        // Every provider receives the system prompt and the user message, in order.
        assert.deepEqual(
          body.messages.map((m) => [m.role, m.content]),
          messages.map((m) => [m.role, m.content]),
        );
      });

      test(`${mode}: a reply cut by the token limit reports "length"`, async () => {
        llm.enqueue({ text: "half a rep", finishReason: "length" });
        const c = await client(provider, { stream }).complete({ messages });
        assert.equal(c.finishReason, "length");
        assert.equal(c.text, "half a rep");
      });

      test(`${mode}: cached prompt tokens are billed at the cached rate`, async () => {
        llm.enqueue({
          text: "x",
          usage: { promptTokens: 1_000_000, completionTokens: 0, cachedTokens: 1_000_000 },
        });
        const c = await client(provider, { stream }).complete({ messages });
        assert.equal(c.usage.inputTokens, 1_000_000);
        assert.equal(c.usage.costUsd, price.cachedInputPerMTok);
      });

      test(`${mode}: a reply cut mid-way is retried by our layer, and the cut attempt is charged`, async () => {
        llm.enqueue({ fault: "cut" }, { text: "whole reply" });
        const c = await client(provider, { stream }).complete({ messages });
        assert.equal(c.text, "whole reply");
        assert.equal(llm.requests.length, 2);
        assert.equal(c.usageEstimated, true);
        assert.ok(c.usage.inputTokens >= 2 * promptTokens);
        assert.equal(c.attempts, 2);
      });

      test(`${mode}: a body that stalls after its headers is cut by the idle timeout and retried`, async () => {
        llm.enqueue({ fault: "stall" }, { text: "ok" });
        const c = await client(provider, { stream, timeoutMs: FAULT_TIMEOUT_MS }).complete({ messages });
        assert.equal(c.text, "ok");
        assert.equal(llm.requests.length, 2);
      });

      test(`${mode}: garbage is retried, then succeeds; garbage every time is LlmError bad_response`, async () => {
        llm.enqueue({ fault: "garbage" }, { text: "ok" });
        const c = await client(provider, { stream }).complete({ messages });
        assert.equal(c.text, "ok");
        assert.equal(llm.requests.length, 2);

        llm.enqueue({ fault: "garbage" }, { fault: "garbage" }, { fault: "garbage" });
        await assert.rejects(client(provider, { stream }).complete({ messages }), (e: unknown) => {
          assert.ok(e instanceof LlmError, String(e));
          assert.equal(e.kind, "bad_response");
          assert.equal(e.attempts, 3);
          assert.ok(e.usage.inputTokens > 0, "the attempts that got a 200 are charged");
          return true;
        });
        assert.equal(llm.requests.length, 5);
      });

      test(`${mode}: an empty reply is retried, and returned (not thrown) when it stays empty`, async () => {
        llm.enqueue({ text: "" }, { text: "second try" });
        const c = await client(provider, { stream }).complete({ messages });
        assert.equal(c.text, "second try");
        assert.equal(c.usage.inputTokens, 2 * promptTokens);

        llm.enqueue({ text: "" }, { text: "  " }, { text: "", finishReason: "safety" });
        const empty = await client(provider, { stream }).complete({ messages });
        assert.equal(empty.text, "");
        assert.equal(empty.finishReason, "safety");
        assert.equal(llm.requests.length, 5);
      });
    }

    test("429 with Retry-After is retried, then succeeds", async () => {
      llm.enqueue({ fault: "429", retryAfterMs: 1 }, { fault: "429", retryAfterMs: 10 }, { text: "ok" });
      const c = await client(provider).complete({ messages });
      assert.equal(c.text, "ok");
      assert.equal(llm.requests.length, 3);
    });

    test("429 asking for a wait is honoured before the retry", async (t) => {
      // Retry-After: 1 s. Between the first request and the retry the client must set a timer for
      // that second (what it asks the clock for, never a measured duration).
      const realSetTimeout = globalThis.setTimeout;
      const timers: Array<{ ms: number; sent: number }> = [];
      t.mock.method(globalThis, "setTimeout", ((...args: Parameters<typeof setTimeout>) => {
        timers.push({ ms: args[1] ?? 0, sent: llm.requests.length });
        return realSetTimeout(...args);
      }) as typeof setTimeout);
      llm.enqueue({ fault: "429", retryAfterSeconds: 1 }, { text: "ok" });
      const c = await client(provider).complete({ messages });
      assert.equal(c.text, "ok");
      assert.equal(llm.requests.length, 2);
      const between = timers.filter((w) => w.sent === 1);
      assert.ok(
        between.some((w) => w.ms >= 1000 && w.ms < 2000),
        `timers set between the two requests: ${JSON.stringify(between.map((w) => w.ms))}`,
      );
    });

    test("500s are retried, then succeed", async () => {
      llm.enqueue(
        { fault: "500", retryAfterMs: 1 },
        { fault: "500", status: 503, retryAfterMs: 1 },
        { text: "ok" },
      );
      const c = await client(provider).complete({ messages });
      assert.equal(c.text, "ok");
      assert.equal(llm.requests.length, 3);
    });

    test("a hanging request times out and is retried, then succeeds", async () => {
      llm.enqueue({ fault: "timeout" }, { text: "ok" });
      const c = await client(provider, { timeoutMs: FAULT_TIMEOUT_MS }).complete({ messages });
      assert.equal(c.text, "ok");
      assert.equal(llm.requests.length, 2);
    });

    test("transport retries exhausted: LlmError with the kind and status, not retried twice", async () => {
      llm.enqueue({ fault: "429", retryAfterMs: 1 }, { fault: "429", retryAfterMs: 1 });
      await assert.rejects(client(provider, { maxRetries: 1 }).complete({ messages }), (e: unknown) => {
        assert.ok(e instanceof LlmError);
        assert.equal(e.kind, "rate_limit");
        assert.equal(e.status, 429);
        assert.equal(e.model, `${provider}:mock-model`);
        return true;
      });
      assert.equal(llm.requests.length, 2);
    });

    test("a timeout every time is LlmError timeout", async () => {
      llm.enqueue({ fault: "timeout" }, { fault: "timeout" });
      await assert.rejects(
        client(provider, { maxRetries: 1, timeoutMs: 100 }).complete({ messages }),
        (e: unknown) => e instanceof LlmError && e.kind === "timeout",
      );
      assert.equal(llm.requests.length, 2);
    });

    test("4xx is not retried and names the status", async () => {
      llm.setDefault(() => {
        throw new Error("responder bug");
      });
      await assert.rejects(client(provider).complete({ messages }), (e: unknown) => {
        assert.ok(e instanceof LlmError);
        assert.equal(e.kind, "bad_request");
        assert.equal(e.status, 400);
        assert.match(e.message, /responder bug/);
        return true;
      });
      assert.equal(llm.requests.length, 1);
    });

    // The client's own timeout (10 min) is far beyond the test's: only the signal can end the request in time.
    test("the caller's signal aborts a hanging request as LlmError aborted", {
      timeout: 60_000,
    }, async () => {
      llm.enqueue({ fault: "timeout" });
      const controller = new AbortController();
      const pending = client(provider).complete({ messages, signal: controller.signal });
      // Abort once the request is at the server and hanging there.
      await llm.received(1);
      controller.abort();
      await assert.rejects(pending, (e: unknown) => e instanceof LlmError && e.kind === "aborted");
      assert.equal(llm.requests.length, 1);
    });

    test("a refused budget hold sends nothing", async () => {
      const holds: number[] = [];
      await assert.rejects(
        client(provider).complete({ messages, maxTokens: 1000, reserve: (_, usd) => holds.push(usd) < 0 }),
        (e: unknown) => e instanceof LlmError && e.kind === "budget" && e.attempts === 0,
      );
      assert.equal(llm.requests.length, 0);
      // The estimate: prompt at chars/4 and the whole token limit, at list price.
      assert.deepEqual(holds, [costUsd({ inputTokens: promptTokens, outputTokens: 1000 }, price)]);
    });
  });
}

describe("provider specifics", () => {
  test("the key comes from each provider's usual variables, sent the way its API expects", async () => {
    await new AnthropicClient({
      model: "anthropic:m",
      baseUrl: llm.urls.anthropic,
      env: { ANTHROPIC_API_KEY: "a-key" },
    }).complete({ messages });
    const h = llm.headers[0]!;
    assert.match(String(h["x-api-key"] ?? h.authorization), /a-key/);
    await new GeminiClient({
      model: "gemini:m",
      baseUrl: llm.urls.gemini,
      env: { GEMINI_API_KEY: "g-key" },
    }).complete({ messages });
    assert.equal(llm.headers[1]!["x-goog-api-key"], "g-key");
    await new GeminiClient({
      model: "gemini:m",
      baseUrl: llm.urls.gemini,
      env: { GOOGLE_API_KEY: "google-key" },
    }).complete({ messages });
    assert.equal(llm.headers[2]!["x-goog-api-key"], "google-key");
    await createClient({
      model: "gemini:m",
      baseUrl: llm.urls.gemini,
      apiKeyEnv: "MY_KEY",
      env: { MY_KEY: "mine" },
    }).complete({ messages });
    assert.equal(llm.headers[3]!["x-goog-api-key"], "mine");
  });

  test("a missing key is an error naming the variable to set", () => {
    assert.throws(() => createClient({ model: "anthropic:claude-sonnet-4-5", env: {} }), /ANTHROPIC_API_KEY/);
    assert.throws(
      () => createClient({ model: "gemini:gemini-2.5-flash", env: {} }),
      /GEMINI_API_KEY or GOOGLE_API_KEY/,
    );
    assert.throws(() => createClient({ model: "openai:gpt-5", env: {} }), /OPENAI_API_KEY/);
    assert.throws(
      () => createClient({ model: "openai:x", baseUrl: llm.url, apiKeyEnv: "OPENROUTER_API_KEY", env: {} }),
      /OPENROUTER_API_KEY/,
    );
    // Unlike a local OpenAI-compatible server, a base URL does not excuse Anthropic or Gemini from a key.
    assert.throws(
      () => createClient({ model: "anthropic:m", baseUrl: llm.urls.anthropic, env: {} }),
      /ANTHROPIC_API_KEY/,
    );
  });

  test("Anthropic gets a token limit even when none is asked for", async () => {
    await client("anthropic").complete({ messages });
    assert.equal(llm.requests[0]!.max_tokens, 8192);
    await client("openai").complete({ messages });
    assert.equal(llm.requests[1]!.max_tokens, undefined);
  });

  test("Gemini gets the seed, and the system prompt as systemInstruction", async () => {
    await client("gemini").complete({ messages, seed: 7 });
    const raw = llm.requests[0]!.raw as { systemInstruction: unknown; generationConfig: { seed: number } };
    assert.equal(raw.generationConfig.seed, 7);
    assert.ok(raw.systemInstruction);
  });

  test("a repair conversation keeps the roles: assistant is Gemini's model and Claude's assistant", async () => {
    const conversation = [
      ...messages,
      { role: "assistant" as const, content: "first reply" },
      { role: "user" as const, content: "fix it" },
    ];
    for (const provider of providers) {
      llm.requests.length = 0;
      await client(provider).complete({ messages: conversation });
      assert.deepEqual(
        llm.requests[0]!.messages.map((m) => m.role),
        ["system", "user", "assistant", "user"],
        provider,
      );
    }
  });

  test("prices: Anthropic and Gemini models, dated snapshots and aliases", () => {
    for (const m of [
      "anthropic:claude-sonnet-4-5",
      "anthropic:claude-sonnet-4-5-20250929",
      "anthropic:claude-sonnet-4-20250514",
      "anthropic:claude-opus-4-1",
      "anthropic:claude-haiku-4-5",
      "anthropic:claude-3-5-haiku-latest",
      "gemini:gemini-2.5-pro",
      "gemini:gemini-2.5-flash",
      "gemini:gemini-2.5-flash-lite",
      "gemini:models/gemini-2.5-flash",
      "gemini:gemini-2.0-flash-001",
    ]) {
      assert.ok(priceFor(m), m);
    }
    assert.deepEqual(
      priceFor("anthropic:claude-sonnet-4-5-20250929"),
      priceFor("anthropic:claude-sonnet-4-5"),
    );
    assert.equal(priceFor("gemini:gemma-local"), undefined);
  });
});
