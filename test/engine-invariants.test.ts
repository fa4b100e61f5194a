/**
 * The engine's concurrency invariants (listed in src/engine/engine.ts,
 * "Invariants", and written down in the file of each), each held by a test
 * that fails when it breaks. The selection window (settled-through,
 * src/engine/unsettled.ts) is tested in test/engine-loop.test.ts, the wake-up
 * alone in test/wake-up.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RunEvent } from "../src/core/events.ts";
import type { Split } from "../src/core/types.ts";
import { parseRunConfig } from "../src/engine/config.ts";
import { Engine } from "../src/engine/engine.ts";
import { LlmProposer } from "../src/engine/llm-proposer.ts";
import { Ensemble } from "../src/llm/ensemble.ts";
import { Budget, Ledger } from "../src/llm/ledger.ts";
import { loadTemplates } from "../src/prompt/index.ts";
import { createStrategy } from "../src/search/index.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { InstantEvaluator, instantClient, nudgeKnob, toyTask } from "./support/instant.ts";

/** A promise and the function that resolves it: an event a gate waits for. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { promise, fire };
}

test("chained test evaluation: when the best changes during its test evaluation, the new best is tested as soon as that one ends", {
  timeout: 20_000,
}, async () => {
  // Children 1 and 2 improve on their parent; later ones do worse, so the best stays c000002.
  let calls = 0;
  const client = instantClient((r) => nudgeKnob(r, ++calls <= 2 ? 3 : -3), { costUsd: 0 });
  const proposer = new LlmProposer(new Ensemble([{ client, weight: 1 }]), loadTemplates(), "diff", {
    ledger: new Ledger(new Budget(undefined)),
  });
  const firstTestReleased = signal();
  const secondTestStarted = signal();
  let trainCalls = 0;
  let testCalls = 0;
  const gate = async (_code: string, split: Split) => {
    if (split === "test") {
      testCalls++;
      // The seed's test is held until c000002 is the best; the next test is the chained one.
      if (testCalls === 1) await firstTestReleased.promise;
      if (testCalls === 2) secondTestStarted.fire();
      return;
    }
    trainCalls++;
    // The fourth train evaluation (c000003) starts once c000002 has settled as the best: it
    // releases the seed's test and waits for the chained one. Nothing settles meanwhile (one
    // proposal, one evaluation, ordered), so only the chain can start that test: without it
    // this run never finishes (the test's timeout fails it).
    if (trainCalls === 4) {
      firstTestReleased.fire();
      await secondTestStarted.promise;
    }
  };
  const config = parseRunConfig(
    {
      task: "toy",
      budget: { iterations: 6 },
      concurrency: { proposals: 1, evaluations: 1, ordered: true },
      strategy: { kind: "hill-climb" },
      seed: 3,
    },
    "test config",
  );
  const store = new MemoryStore();
  const events: RunEvent[] = [];
  const engine = new Engine({
    config,
    task: toyTask(),
    store,
    strategy: createStrategy(config.strategy),
    proposer,
    queue: new InstantEvaluator({ gate }),
    onEvent: (e) => events.push(e),
  });
  const outcome = await engine.run();
  assert.equal(outcome.reason, "iterations");
  assert.equal(outcome.best?.id, "c000002");
  const tested = events.flatMap((e) => (e.type === "test_evaluated" ? [e.programId] : []));
  assert.deepEqual(tested, ["c000000", "c000002"], "c000001 was never the best when a test ended");
  assert.equal((await store.summary()).best?.testScore !== null, true);
});
