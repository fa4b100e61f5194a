import type { RunEvent } from "../core/events.ts";
import { candidateId } from "../core/ids.ts";
import type { Rng } from "../core/rng.ts";
import type { Candidate, Program, Settled } from "../core/types.ts";
import type { Ledger } from "../llm/ledger.ts";
import type { EngineParts, ProposalObserver } from "./parts.ts";
import { chargeOpenReservations } from "./reservations.ts";

/** Where a session starts from: a new run's seed, or what a resumed run left. */
export interface Start {
  /** Candidates stored and not settled: to evaluate first. */
  pending: Candidate[];
  nextIteration: number;
  /** The commits stored so far (the sequencer counts on from there). */
  commits: number;
  /** The best program whose test evaluation is stored. */
  testedBestId: string | null;
  /** The iterations stored (proposed), for patience. */
  iterations: number;
  /** A resumed run's best, as the rebuilt strategy has it. */
  best?: Program;
}

export interface StartContext {
  parts: EngineParts;
  rng: Rng;
  ledger: Ledger;
  observer: ProposalObserver | undefined;
  write: (events: RunEvent[]) => Promise<void>;
  /** Tells the engine and the strategy of a candidate settled before this session, as when it settled. */
  remember: (settled: Settled) => void;
}

/** Stores a new run's start and its seed, or rebuilds a stored run's state and stores its resumption. */
export async function start(ctx: StartContext): Promise<Start> {
  const summary = await ctx.parts.store.summary();
  return summary.state === "new"
    ? startNew(ctx)
    : resume(ctx, summary.iterations, summary.best?.testScore != null ? summary.best.id : null);
}

async function startNew({ parts, rng, write }: StartContext): Promise<Start> {
  const { task, config } = parts;
  const seed: Candidate = {
    id: candidateId(0),
    iteration: 0,
    parentId: "",
    tag: "",
    code: task.initialCode,
    diff: "",
    model: "initial",
    costUsd: 0,
  };
  await write([
    { type: "run_started", taskId: task.id, taskVersion: task.version, config, seed: config.seed },
    {
      type: "candidate_proposed",
      candidateId: seed.id,
      iteration: 0,
      parentId: null,
      tag: "",
      code: seed.code,
      diff: "",
      prompt: "",
      model: "initial",
      reply: "",
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      rng: rng.state(),
    },
  ]);
  return { pending: [seed], nextIteration: 1, commits: 0, testedBestId: null, iterations: 0 };
}

async function resume(ctx: StartContext, iterations: number, testedBestId: string | null): Promise<Start> {
  const { store, strategy } = ctx.parts;
  let commits = 0;
  // Rebuild the strategy exactly: what settled and the strategy's own events, in stored order.
  for (const entry of await store.history()) {
    if ("settled" in entry) {
      ctx.remember(entry.settled);
      commits += commitsOf(entry.settled);
    } else if (entry.strategyEvent.strategy === strategy.name) {
      const { kind, data } = entry.strategyEvent;
      strategy.replay?.({ kind, data });
    }
  }
  const rng = await store.lastRngState();
  if (rng) ctx.rng.restore(rng);
  const pending = await store.pendingCandidates();
  commits += pending.filter((c) => c.iteration > 0).length;
  await chargeOpenReservations(store);
  ctx.ledger.budget.spentUsd = (await store.totalUsage()).costUsd;
  if (ctx.observer) {
    for (const call of await store.ledger()) ctx.observer.onModelCall(call, false);
    for (const outcome of await store.outcomes()) ctx.observer.onOutcome(outcome, false);
  }
  await ctx.write([{ type: "run_resumed", pending: pending.length }]);
  const best = strategy.best();
  return {
    pending,
    nextIteration: iterations + 1,
    commits,
    testedBestId,
    iterations,
    ...(best ? { best } : {}),
  };
}

/** The commits a settled candidate made: its proposal (not the seed's) and its settlement (a rejection's is the proposal's). */
function commitsOf(settled: Settled): number {
  return (settled.candidate.iteration > 0 ? 1 : 0) + (settled.status === "rejected" ? 0 : 1);
}
