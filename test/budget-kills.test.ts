/**
 * The dollar budget holds across any number of kills: the `adrs` process is
 * killed with SIGKILL while model requests are in flight (the mock holds
 * them, and the kill waits until it has received one), then resumed, again
 * and again. What was charged, the reservations of requests that never got an
 * outcome included, never exceeds budget.usd, and the last session stops for
 * the budget with every request the server received in the ledger.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Store } from "../src/store/store.ts";
import { type MockLlm, startMockLlm } from "./support/mock-llm.ts";
import { tempDir, withStore } from "./support/run-helpers.ts";

const cli = join(import.meta.dirname, "..", "bin", "adrs.js");

function adrs(args: string[]): {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: string | null; out: string }>;
} {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const exit = new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, out })),
  );
  return { child, exit };
}

/** Requests past `answerUpTo` (in all) are held unanswered: calls in flight, until the process dies. */
let answerUpTo = Number.POSITIVE_INFINITY;
let mock: MockLlm;
before(async () => {
  mock = await startMockLlm({
    responder: async () => {
      const n = mock.requests.length;
      if (n > answerUpTo) await new Promise<void>(() => {});
      // Every fifth request is refused once with a 429: retried attempts are in the ledger too.
      if (n % 5 === 0) return { fault: "429", retryAfterMs: 1 };
      // A reply with no edit: the proposal is rejected (after a repair call), so no time goes to evaluations.
      return { text: "No edit this time.", delayMs: 20 };
    },
  });
});
after(async () => {
  await mock.close();
});

/** Dollars charged so far: the ledger, and every reservation no entry resolves (what resume charges as unknown). */
async function charged(store: Store): Promise<{ usd: number; open: number }> {
  const open = new Map<string, number>();
  for (const e of await store.events(0, Number.MAX_SAFE_INTEGER, ["model_reserved", "model_called"])) {
    if (e.type === "model_reserved") open.set(e.reservation, e.usd);
    else if (e.type === "model_called" && e.reservation) open.delete(e.reservation);
  }
  const usd = (await store.totalUsage()).costUsd + [...open.values()].reduce((a, b) => a + b, 0);
  return { usd, open: open.size };
}

test("kill -9 with model calls in flight, resumed again and again: the charged total stays within budget.usd", async () => {
  const dir = tempDir("budget-kills");
  const out = join(dir, "run");
  const usd = 0.08;
  const config = join(dir, "run.yaml");
  // JSON is YAML. ~3,000 prompt tokens and 200 output tokens at most: ~$0.004 reserved per request; a kill
  // may leave a few reservations open (the proposals in flight, and calls whose candidates were not yet stored).
  writeFileSync(
    config,
    JSON.stringify({
      task: "txn-scheduling",
      models: [
        {
          model: "openai:mock-coder",
          baseUrl: mock.url,
          price: { inputPerMTok: 1, outputPerMTok: 4 },
          maxTokens: 200,
        },
      ],
      concurrency: { proposals: 2, evaluations: 2 },
      budget: { iterations: 500, usd },
    }),
  );

  const kills = 3;
  let unknownAtKills = 0;
  for (let k = 0; k < kills; k++) {
    const run = adrs(k === 0 ? ["run", "-c", config, "--out", out] : ["resume", out]);
    // A few replies, then the next request is held: it is in flight when the process dies.
    answerUpTo = mock.requests.length + 2;
    await Promise.race([
      mock.received(answerUpTo + 1),
      run.exit.then(({ code, out: printed }) => {
        throw new Error(`the session ended (${code}) before its request was in flight:\n${printed}`);
      }),
    ]);
    run.child.kill("SIGKILL");
    const { signal, out: printed } = await run.exit;
    assert.equal(signal, "SIGKILL", `the session was still running when killed:\n${printed}`);
    answerUpTo = Number.POSITIVE_INFINITY;
    await withStore(out, async (store) => {
      const { usd: spent, open } = await charged(store);
      assert.ok(open >= 1, `kill ${k + 1}: the request in flight was reserved before it was sent`);
      assert.ok(spent <= usd + 1e-12, `kill ${k + 1}: $${spent} charged of $${usd}`);
      unknownAtKills += open;
    });
  }

  const last = adrs(["resume", out]);
  const { code, out: printed } = await last.exit;
  assert.equal(code, 0, printed);
  await withStore(out, async (store) => {
    const summary = await store.summary();
    assert.equal(summary.stopReason, "budget_usd", printed);
    const { usd: spent, open } = await charged(store);
    assert.equal(open, 0, "every reservation was resolved or charged");
    assert.ok(spent <= usd + 1e-12, `$${spent} charged of $${usd}`);
    const ledger = await store.ledger();
    const unknown = ledger.filter((e) => e.outcome === "unknown");
    assert.equal(unknown.length, unknownAtKills, "each open reservation is charged once, as outcome unknown");
    // Every request the server received is an entry (its own, or its reservation's); none went out unreserved.
    assert.ok(
      mock.requests.length <= ledger.length,
      `${mock.requests.length} requests, ${ledger.length} entries`,
    );
    const failed = ledger.filter((e) => e.outcome === "rate_limit");
    assert.ok(failed.length > 0 && failed.every((e) => e.retried), "the 429s are entries, each retried");
  });

  const status = adrs(["status", out]);
  const shown = await status.exit;
  assert.equal(shown.code, 0, shown.out);
  assert.match(
    shown.out,
    /openai:mock-coder\s+\d+ calls in \d+ attempts .*\(\d+ failed attempts?, \d+ outcome unknown\)/,
  );
});
