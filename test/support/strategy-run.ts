/**
 * A strategy's run in milliseconds, for resume tests: the engine over the
 * in-memory store, the toy task, the tuner and the instant evaluator.
 */
import { parseRunConfig } from "../../src/engine/config.ts";
import { Engine } from "../../src/engine/engine.ts";
import { createStrategy, TunerProposer } from "../../src/search/index.ts";
import type { MemoryStore } from "../../src/store/memory.ts";
import { InstantEvaluator, TOY_CODE, toyTask } from "./instant.ts";

/** An engine running `strategy` on the toy task into `store`; with `stopAt`, it stops once that candidate settles. */
export function toyRun(
  store: MemoryStore,
  strategy: Record<string, unknown>,
  iterations: number,
  stopAt?: string,
) {
  const config = parseRunConfig(
    {
      task: "toy",
      strategy,
      budget: { iterations },
      // Ordered: a resumed run equals an uninterrupted one only when neither depends on timing.
      concurrency: { proposals: 1, evaluations: 1, ordered: true },
      seed: 4,
    },
    "test",
  );
  const engine: Engine = new Engine({
    config,
    task: toyTask(TOY_CODE),
    store,
    strategy: createStrategy(config.strategy),
    proposer: new TunerProposer(),
    queue: new InstantEvaluator({ train: 3 }),
    ...(stopAt
      ? {
          onEvent: (e) => {
            const settled = e.type === "evaluation_finished" || e.type === "candidate_screened";
            if (settled && e.candidateId >= stopAt) engine.stop("interrupted");
          },
        }
      : {}),
  });
  return engine;
}

/** What a resumed run must share with an uninterrupted one: programs, screenings and strategy events. */
export async function runPicture(store: MemoryStore) {
  const events = await store.events();
  return {
    programs: (await store.programs()).map((p) => [p.id, p.parentId, p.tag, p.score, p.code]),
    screened: events.flatMap((e) => (e.type === "candidate_screened" ? [[e.candidateId, e.reason]] : [])),
    events: events.flatMap((e) => (e.type === "strategy_event" ? [[e.kind, e.data]] : [])),
  };
}
