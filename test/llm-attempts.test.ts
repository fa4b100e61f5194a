/**
 * Every HTTP attempt is a ledger entry: against the mock server with injected
 * faults, each provider's client (SDK retries off, ours on) reserves each
 * attempt before it is sent and reports it once it ends, so the requests the
 * server received and the ledger's entries are the same in number, with each
 * attempt's outcome, tokens and dollars, all linked to their one call.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { ModelCall, Reservation } from "../src/core/types.ts";
import { Budget, costUsd, Ledger, LlmError, type Provider } from "../src/llm/index.ts";
import { mockClient } from "./support/mock-client.ts";
import { FAULT_TIMEOUT_MS, type MockLlm, type MockStep, startMockLlm } from "./support/mock-llm.ts";

const messages = [
  { role: "system" as const, content: "You improve schedulers." },
  { role: "user" as const, content: "Make it faster." },
];
const price = { inputPerMTok: 2, outputPerMTok: 8 };

let llm: MockLlm;
/** What the mock answers next, in order; and how many reservations were stored when each request arrived. */
let script: MockStep[] = [];
let reservedAtArrival: number[] = [];
let reservations: Reservation[] = [];
before(async () => {
  llm = await startMockLlm({
    responder: () => {
      reservedAtArrival.push(reservations.length);
      return script.shift() ?? { text: "unscripted" };
    },
  });
});
after(async () => {
  await llm.close();
});
beforeEach(() => {
  llm.requests.length = 0;
  script = [];
  reservedAtArrival = [];
  reservations = [];
});

function ledger(): Ledger {
  const l = new Ledger(new Budget(10));
  l.onReserve = async (r) => {
    reservations.push(r);
  };
  return l;
}

function client(provider: Provider, stream: boolean) {
  return mockClient(llm, provider, {
    price,
    stream,
    timeoutMs: FAULT_TIMEOUT_MS,
    maxRetries: 3,
    replyRetries: 2,
  });
}

/** The entries of one call: numbered from 1, one call id, every one but the last retried, the last with the exchange. */
function assertOneCall(entries: ModelCall[]): void {
  assert.ok(entries.length > 0);
  const call = entries[0]!.call;
  assert.ok(call, "entries name their call");
  entries.forEach((e, i) => {
    assert.equal(e.call, call);
    assert.equal(e.attempt, i + 1);
    const last = i === entries.length - 1;
    assert.equal(e.retried, last ? undefined : true, `attempt ${i + 1}`);
    assert.deepEqual(e.messages, last ? messages : []);
  });
}

for (const provider of ["openai", "anthropic", "gemini"] as const) {
  describe(`${provider}: one ledger entry per HTTP attempt`, () => {
    test("transport faults and replies we cannot use, then a reply: every attempt reserved, recorded and billed as it was", async () => {
      // A warm-up call first: the process's first request (connection set-up, the SDK's first use) is
      // slow on a loaded machine, and must not reach the timeout before the server has received it.
      await client(provider, false).complete({ messages });
      llm.requests.length = 0;
      reservedAtArrival = [];
      script = [
        { fault: "429", retryAfterMs: 1 },
        { fault: "timeout" },
        { fault: "500", retryAfterMs: 1 },
        { fault: "garbage", usage: { promptTokens: 120, completionTokens: 30 } },
        { text: "the reply" },
      ];
      const l = ledger();
      const c = await l.complete(
        client(provider, false),
        { messages },
        { role: "mutation", candidateId: "c1", iteration: 1 },
      );
      assert.equal(c.text, "the reply");
      const entries = l.takeAll();
      assert.equal(llm.requests.length, 5);
      assert.equal(entries.length, llm.requests.length, "as many entries as requests the server received");
      assert.deepEqual(
        entries.map((e) => e.outcome),
        ["rate_limit", "timeout", "server", "bad_response", "ok"],
      );
      assert.deepEqual(
        entries.map((e) => e.status),
        [429, undefined, 500, undefined, undefined],
      );
      assertOneCall(entries);
      assert.equal(entries[4]!.reply, "the reply");
      // Nothing came back from the first three; the garbage reported its usage and is billed that.
      for (const e of entries.slice(0, 3)) assert.equal(e.usage.costUsd, 0);
      assert.deepEqual(entries[3]!.usage, {
        inputTokens: 120,
        outputTokens: 30,
        costUsd: costUsd({ inputTokens: 120, outputTokens: 30 }, price),
      });
      assert.ok(entries[4]!.usage.costUsd > 0);
      const total = entries.reduce((sum, e) => sum + e.usage.costUsd, 0);
      assert.ok(Math.abs(total - c.usage.costUsd) < 1e-15, "the call's cost is its attempts'");
      assert.ok(Math.abs(l.budget.spentUsd - total) < 1e-15);
      // Each attempt was reserved (and the reservation stored) before the server saw it.
      assert.deepEqual(
        reservations.map((r) => r.reservation),
        entries.map((e) => e.reservation),
      );
      assert.deepEqual(reservedAtArrival, [1, 2, 3, 4, 5]);
      assert.ok(reservations.every((r) => r.usd > 0 && r.call === entries[0]!.call));
    });

    test("a streamed reply cut mid-way is billed what was streamed, then retried", async () => {
      script = [{ fault: "cut" }, { text: "whole reply" }];
      const l = ledger();
      const c = await l.complete(
        client(provider, true),
        { messages },
        { role: "mutation", candidateId: "c2", iteration: 2 },
      );
      assert.equal(c.text, "whole reply");
      const entries = l.take("c2");
      assert.equal(entries.length, llm.requests.length);
      assert.deepEqual(
        entries.map((e) => e.outcome),
        ["cut", "ok"],
      );
      assertOneCall(entries);
      const cut = entries[0]!;
      // The prompt and the "partial rep" the mock streamed before it cut, at chars/4.
      assert.equal(cut.usageEstimated, true);
      assert.equal(cut.usage.outputTokens, Math.ceil("partial rep".length / 4));
      assert.ok(cut.usage.inputTokens > 0 && cut.usage.costUsd > 0);
    });

    test("retries exhausted: each failed attempt is an entry, the last one ends the call with its error", async () => {
      script = [
        { fault: "429", retryAfterMs: 1 },
        { fault: "429", retryAfterMs: 1 },
        { fault: "429", retryAfterMs: 1 },
        { fault: "429", retryAfterMs: 1 },
      ];
      const l = ledger();
      await assert.rejects(
        l.complete(
          client(provider, false),
          { messages },
          { role: "repair", candidateId: "c3", iteration: 3 },
        ),
        (e: unknown) => e instanceof LlmError && e.kind === "rate_limit" && e.attempts === 4,
      );
      const entries = l.take("c3");
      assert.equal(llm.requests.length, 4, "maxRetries 3: four attempts");
      assert.equal(entries.length, 4);
      assertOneCall(entries);
      assert.ok(entries.every((e) => e.outcome === "rate_limit" && e.error !== undefined));
      assert.equal(entries[3]!.reply, null);
    });
  });
}
