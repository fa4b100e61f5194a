import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { Rng } from "../src/core/rng.ts";
import {
  costUsd,
  createClient,
  createEnsemble,
  Ensemble,
  isReasoningModel,
  type LlmClient,
  LlmError,
  OpenAiClient,
  type OpenAiClientOptions,
  PLACEHOLDER_API_KEY,
  parseModelSpec,
  priceFor,
} from "../src/llm/index.ts";
import { FAULT_TIMEOUT_MS, type MockLlm, promptOf, startMockLlm } from "./support/mock-llm.ts";

const messages = [
  { role: "system" as const, content: "You improve schedulers." },
  { role: "user" as const, content: "Make it faster." },
];
const promptTokens = Math.ceil((messages[0]!.content.length + messages[1]!.content.length) / 4);
const price = { inputPerMTok: 2, outputPerMTok: 8 };

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

/** A client aimed at the mock only: no env, so no real key or base URL can leak in. */
function client(options: Partial<OpenAiClientOptions> = {}): OpenAiClient {
  return new OpenAiClient({
    model: "openai:mock-model",
    baseUrl: llm.url,
    apiKey: "test-key",
    env: {},
    price,
    replyRetryDelayMs: 1,
    ...options,
  });
}

describe("OpenAiClient against the mock", () => {
  test("non-streamed completion carries text, usage and cost", async () => {
    llm.enqueue({ text: "SEARCH/REPLACE goes here" });
    const c = await client().complete({ messages, temperature: 0.7, maxTokens: 300, seed: 7 });
    assert.equal(c.text, "SEARCH/REPLACE goes here");
    assert.equal(c.model, "openai:mock-model");
    assert.equal(c.finishReason, "stop");
    assert.equal(c.usage.inputTokens, promptTokens);
    assert.equal(c.usage.outputTokens, Math.ceil("SEARCH/REPLACE goes here".length / 4));
    assert.equal(c.usage.costUsd, costUsd(c.usage, price));
    assert.ok(c.usage.costUsd > 0);
    assert.equal(c.usageEstimated, undefined);
    const body = llm.requests[0]!;
    assert.equal(body.model, "mock-model");
    assert.equal(body.temperature, 0.7);
    assert.equal(body.max_tokens, 300);
    assert.equal(body.max_completion_tokens, undefined);
    assert.equal(body.seed, 7);
    assert.notEqual(body.stream, true);
    assert.equal(llm.headers[0]!.authorization, "Bearer test-key");
  });

  test("streamed completion collects the chunks and the final usage chunk", async () => {
    const text = "a longer reply that the mock splits over several SSE chunks";
    llm.enqueue({ text });
    const c = await client({ stream: true }).complete({ messages });
    assert.equal(c.text, text);
    assert.equal(c.finishReason, "stop");
    assert.equal(c.usage.inputTokens, promptTokens);
    assert.equal(c.usage.outputTokens, Math.ceil(text.length / 4));
    assert.ok(c.usage.costUsd > 0);
    const body = llm.requests[0]!;
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
  });

  test("reasoning models get max_completion_tokens and no temperature", async () => {
    await client({ model: "openai:gpt-5-mini" }).complete({ messages, temperature: 0.9, maxTokens: 1000 });
    const body = llm.requests[0]!;
    assert.equal(body.model, "gpt-5-mini");
    assert.equal(body.max_completion_tokens, 1000);
    assert.equal(body.max_tokens, undefined);
    assert.equal(body.temperature, undefined);
    for (const name of ["o1", "o3-mini", "o4-mini", "gpt-5", "gpt-5-nano", "openai/o3"]) {
      assert.ok(isReasoningModel(name), name);
    }
    for (const name of ["gpt-4o", "gpt-4.1-mini", "qwen2.5-coder:7b", "o1x"])
      assert.ok(!isReasoningModel(name), name);
  });

  test("usage missing from the provider is estimated at chars/4 and flagged", async () => {
    llm.enqueue({ text: "12345678", usage: "none" });
    const c = await client().complete({ messages });
    assert.equal(c.usageEstimated, true);
    assert.equal(c.usage.inputTokens, promptTokens);
    assert.equal(c.usage.outputTokens, 2);
  });

  test("cost is 0 for a model without a known price, and cached tokens are billed at the cached rate", async () => {
    llm.enqueue({ text: "x" });
    const c = await client({ price: undefined }).complete({ messages });
    assert.equal(c.usage.costUsd, 0);

    llm.enqueue({
      text: "x",
      usage: { promptTokens: 1_000_000, completionTokens: 0, cachedTokens: 1_000_000 },
    });
    const cached = await client({ model: "openai:gpt-5", price: undefined }).complete({ messages });
    assert.equal(cached.usage.costUsd, priceFor("openai:gpt-5")!.cachedInputPerMTok);
  });

  test("429 with Retry-After is retried by the SDK, then succeeds", async () => {
    llm.enqueue(
      { fault: "429", retryAfterSeconds: 0 },
      { fault: "429", retryAfterSeconds: 0 },
      { text: "ok" },
    );
    const c = await client().complete({ messages });
    assert.equal(c.text, "ok");
    assert.equal(llm.requests.length, 3);
  });

  test("500 is retried, then succeeds", async () => {
    llm.enqueue({ fault: "500" }, { text: "ok" });
    const c = await client().complete({ messages });
    assert.equal(c.text, "ok");
    assert.equal(llm.requests.length, 2);
  });

  test("a hanging request times out and is retried, then succeeds", async () => {
    llm.enqueue({ fault: "timeout" }, { text: "ok" });
    const c = await client({ timeoutMs: FAULT_TIMEOUT_MS }).complete({ messages });
    assert.equal(c.text, "ok");
    assert.equal(llm.requests.length, 2);
  });

  test("SDK retries exhausted: LlmError with the kind and status", async () => {
    llm.enqueue({ fault: "429", retryAfterSeconds: 0 }, { fault: "429", retryAfterSeconds: 0 });
    await assert.rejects(client({ maxRetries: 1 }).complete({ messages }), (e: unknown) => {
      assert.ok(e instanceof LlmError);
      assert.equal(e.kind, "rate_limit");
      assert.equal(e.status, 429);
      assert.equal(e.model, "openai:mock-model");
      return true;
    });
    // Our layer does not retry what the SDK already retried.
    assert.equal(llm.requests.length, 2);
  });

  test("a stream cut mid-way is retried by our layer, and the cut attempt is charged", async () => {
    llm.enqueue({ fault: "cut" }, { text: "whole reply" });
    const c = await client({ stream: true }).complete({ messages });
    assert.equal(c.text, "whole reply");
    assert.equal(llm.requests.length, 2);
    // The provider had started generating, so the first attempt counts (estimated).
    assert.equal(c.usageEstimated, true);
    assert.ok(c.usage.inputTokens >= 2 * promptTokens);
  });

  test("a non-streamed body cut mid-way is retried", async () => {
    llm.enqueue({ fault: "cut" }, { text: "whole reply" });
    const c = await client().complete({ messages });
    assert.equal(c.text, "whole reply");
    assert.equal(llm.requests.length, 2);
  });

  for (const stream of [false, true]) {
    test(`a ${stream ? "stream" : "body"} that stalls after its headers is cut by the idle timeout and retried`, async () => {
      // The SDK's own timeout stops once the headers are in, so this is our layer's job.
      llm.enqueue({ fault: "stall" }, { text: "ok" });
      const c = await client({ stream, timeoutMs: FAULT_TIMEOUT_MS }).complete({ messages });
      assert.equal(c.text, "ok");
      assert.equal(llm.requests.length, 2);
    });
  }

  for (const stream of [false, true]) {
    test(`garbage (${stream ? "malformed SSE" : "non-JSON body"}) is retried, then succeeds`, async () => {
      llm.enqueue({ fault: "garbage" }, { text: "ok" });
      const c = await client({ stream }).complete({ messages });
      assert.equal(c.text, "ok");
      assert.equal(llm.requests.length, 2);
    });

    test(`garbage every time (${stream ? "stream" : "non-stream"}) throws LlmError bad_response`, async () => {
      llm.enqueue({ fault: "garbage" }, { fault: "garbage" }, { fault: "garbage" });
      await assert.rejects(client({ stream }).complete({ messages }), (e: unknown) => {
        assert.ok(e instanceof LlmError);
        assert.equal(e.kind, "bad_response");
        assert.equal(e.attempts, 3);
        return true;
      });
      assert.equal(llm.requests.length, 3);
    });
  }

  test("an empty reply is retried; the retried attempt's tokens are counted", async () => {
    llm.enqueue({ text: "" }, { text: "second try" });
    const c = await client().complete({ messages });
    assert.equal(c.text, "second try");
    assert.equal(llm.requests.length, 2);
    assert.equal(c.usage.inputTokens, 2 * promptTokens);
  });

  test("an empty reply every time is returned, not thrown, with its finish reason", async () => {
    llm.enqueue({ text: "" }, { text: "  " }, { text: "", finishReason: "content_filter" });
    const c = await client({ stream: true }).complete({ messages });
    assert.equal(c.text, "");
    assert.equal(c.finishReason, "content_filter");
    assert.equal(llm.requests.length, 3);
  });

  test("an empty reply cut by the token limit is returned at once", async () => {
    llm.enqueue({ text: "", finishReason: "length" });
    const c = await client().complete({ messages });
    assert.equal(c.finishReason, "length");
    assert.equal(llm.requests.length, 1);
  });

  test("4xx is not retried and names the status", async () => {
    llm.setDefault(() => {
      throw new Error("responder bug");
    });
    await assert.rejects(client().complete({ messages }), (e: unknown) => {
      assert.ok(e instanceof LlmError);
      assert.equal(e.kind, "bad_request");
      assert.equal(e.status, 400);
      assert.match(e.message, /responder bug/);
      return true;
    });
    assert.equal(llm.requests.length, 1);
  });

  // The client's own timeout is far beyond the test's: only the signal can end the request in time.
  test("the caller's signal aborts a hanging request as LlmError aborted", { timeout: 60_000 }, async () => {
    llm.enqueue({ fault: "timeout" });
    const controller = new AbortController();
    const pending = client({ timeoutMs: 3_600_000 }).complete({ messages, signal: controller.signal });
    // Abort once the request is at the server and hanging there, not before it was sent.
    await llm.received(1);
    controller.abort();
    await assert.rejects(pending, (e: unknown) => e instanceof LlmError && e.kind === "aborted");
    assert.equal(llm.requests.length, 1);
  });

  test("the responder sees the prompt", async () => {
    llm.setDefault((body) => `echo: ${promptOf(body).length}`);
    const c = await client().complete({ messages });
    assert.equal(c.text, `echo: ${promptOf(llm.requests[0]!).length}`);
  });
});

describe("keys and base URLs", () => {
  test("no key and no baseUrl names OPENAI_API_KEY", () => {
    assert.throws(() => new OpenAiClient({ model: "openai:gpt-5-mini", env: {} }), /OPENAI_API_KEY/);
    assert.throws(() => createClient({ model: "openai:gpt-5-mini", env: {} }), /OPENAI_API_KEY/);
  });

  test("a baseUrl without a key sends a placeholder key", async () => {
    await new OpenAiClient({ model: "openai:llama", baseUrl: llm.url, env: {} }).complete({ messages });
    assert.equal(llm.headers[0]!.authorization, `Bearer ${PLACEHOLDER_API_KEY}`);
  });

  test("the key and base URL come from the environment", async () => {
    const c = new OpenAiClient({
      model: "openai:m",
      env: { OPENAI_API_KEY: "env-key", OPENAI_BASE_URL: llm.url },
    });
    await c.complete({ messages });
    assert.equal(llm.headers[0]!.authorization, "Bearer env-key");
  });

  test("GET /v1/models lists the mock's models", async () => {
    const res = await fetch(`${llm.url}/models`);
    const body = (await res.json()) as { data: Array<{ id: string }> };
    assert.deepEqual(
      body.data.map((m) => m.id),
      ["mock"],
    );
  });
});

describe("model specs and prices", () => {
  test("parses provider:name, keeping colons in the name", () => {
    assert.deepEqual(parseModelSpec("openai:gpt-5-mini"), { provider: "openai", name: "gpt-5-mini" });
    assert.deepEqual(parseModelSpec(" OpenAI:qwen2.5-coder:7b "), {
      provider: "openai",
      name: "qwen2.5-coder:7b",
    });
  });

  test("clear errors for bad specs", () => {
    assert.throws(() => parseModelSpec("gpt-5-mini"), /no provider.*"openai:gpt-5-mini"/);
    assert.throws(() => parseModelSpec(""), /empty/);
    assert.throws(() => parseModelSpec(":gpt-5"), /no provider/);
    assert.throws(() => parseModelSpec("openai:"), /no model name/);
    assert.throws(() => parseModelSpec("mistral:large"), /unknown provider "mistral".*openai/);
    assert.deepEqual(parseModelSpec("anthropic:claude-sonnet-4-5"), {
      provider: "anthropic",
      name: "claude-sonnet-4-5",
    });
    assert.deepEqual(parseModelSpec("gemini:gemini-2.5-pro"), { provider: "gemini", name: "gemini-2.5-pro" });
  });

  test("prices: table, dated snapshots, override, unknown", () => {
    assert.deepEqual(priceFor("openai:gpt-4o-mini-2024-07-18"), priceFor("openai:gpt-4o-mini"));
    assert.equal(priceFor("openai:my-local-model"), undefined);
    assert.deepEqual(priceFor("openai:gpt-5", price), price);
    for (const m of [
      "gpt-5",
      "gpt-5-mini",
      "gpt-5-nano",
      "gpt-4.1",
      "gpt-4.1-mini",
      "gpt-4o",
      "gpt-4o-mini",
      "o3",
      "o4-mini",
    ]) {
      assert.ok(priceFor(`openai:${m}`), m);
    }
    assert.equal(costUsd({ inputTokens: 1_000_000, outputTokens: 500_000 }, price), 6);
    assert.equal(costUsd({ inputTokens: 10, outputTokens: 10 }, undefined), 0);
  });
});

describe("Ensemble", () => {
  const fake = (model: string): LlmClient => ({
    model,
    complete: async () => {
      throw new Error("not called");
    },
  });

  test("pick frequencies follow the normalised weights", () => {
    const ens = new Ensemble([
      { client: fake("openai:a"), weight: 3 },
      { client: fake("openai:b"), weight: 1 },
      { client: fake("openai:zero"), weight: 0 },
      { client: fake("openai:c"), weight: 6 },
    ]);
    const rng = new Rng(1234);
    const counts = new Map<string, number>();
    const draws = 20_000;
    for (let i = 0; i < draws; i++) {
      const m = ens.pick(rng).client.model;
      counts.set(m, (counts.get(m) ?? 0) + 1);
    }
    assert.equal(counts.get("openai:zero"), undefined);
    for (const [model, p] of [
      ["openai:a", 0.3],
      ["openai:b", 0.1],
      ["openai:c", 0.6],
    ] as const) {
      // 20k draws: the standard error is under 0.004, so 0.02 is a wide margin.
      assert.ok(Math.abs((counts.get(model) ?? 0) / draws - p) < 0.02, `${model}: ${counts.get(model)}`);
    }
    assert.deepEqual(ens.probabilities(), [0.3, 0.1, 0.6]);
  });

  test("the same seed gives the same picks, one draw per pick", () => {
    const ens = new Ensemble([
      { client: fake("openai:a"), weight: 1 },
      { client: fake("openai:b"), weight: 1 },
    ]);
    const seq = (seed: number) =>
      Array.from(
        { length: 50 },
        (
          (rng) => () =>
            ens.pick(rng).client.model
        )(new Rng(seed)),
      );
    assert.deepEqual(seq(9), seq(9));
    const a = new Rng(5);
    const b = new Rng(5);
    new Ensemble([{ client: fake("openai:solo"), weight: 2 }]).pick(a);
    b.next();
    assert.deepEqual(a.state(), b.state());
  });

  test("empty or all-non-positive weights are an error", () => {
    assert.throws(() => new Ensemble([]), /no models/);
    assert.throws(() => new Ensemble([{ client: fake("openai:a"), weight: 0 }]), /weight ≤ 0/);
    assert.throws(() => new Ensemble([{ client: fake("openai:a"), weight: Number.NaN }]), /finite/);
  });

  test("createEnsemble builds clients and keeps per-model settings", async () => {
    const ens = createEnsemble([
      { model: "openai:gpt-5-mini", baseUrl: llm.url, env: {}, weight: 2, maxTokens: 100 },
      { model: "openai:gpt-4o-mini", baseUrl: llm.url, env: {}, temperature: 0.3 },
    ]);
    assert.deepEqual(
      ens.members.map((m) => [m.client.model, m.weight, m.temperature, m.maxTokens]),
      [
        ["openai:gpt-5-mini", 2, undefined, 100],
        ["openai:gpt-4o-mini", 1, 0.3, undefined],
      ],
    );
    const c = await ens.members[0]!.client.complete({ messages });
    assert.equal(c.text, "mock reply");
    assert.ok(c.usage.costUsd > 0, "gpt-5-mini is priced from the table");
  });
});
