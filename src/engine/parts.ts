import type { RunEvent, StopReason } from "../core/events.ts";
import type { CallSeen, Evaluation, Program } from "../core/types.ts";
import type { Ledger } from "../llm/ledger.ts";
import type { Proposer } from "../search/proposer.ts";
import type { Strategy } from "../search/strategy.ts";
import type { JobQueue } from "../queue/queue.ts";
import type { ProposalOutcome, Store } from "../store/store.ts";
import type { Task } from "../task/contract.ts";
import type { RunConfig } from "./config.ts";

/**
 * Something that learns from how proposals turn out (the ensemble's bandit,
 * the resting of failing models). Its state must be a function of what is
 * stored: the engine tells it each model call and each settled proposal once
 * they are stored, and on resume tells it everything stored before going on,
 * with `live` false.
 */
export interface ProposalObserver {
  onModelCall(call: CallSeen, live: boolean): void;
  onOutcome(outcome: ProposalOutcome, live: boolean): void;
}

export function isObserver(value: unknown): value is ProposalObserver {
  const v = value as Partial<ProposalObserver>;
  return typeof v.onModelCall === "function" && typeof v.onOutcome === "function";
}

/** What an engine is made of. */
export interface EngineParts {
  config: RunConfig;
  task: Task;
  store: Store;
  strategy: Strategy;
  proposer: Proposer;
  /** Where evaluations run: this process's sandboxes, or workers on other machines; the engine cannot tell. */
  queue: JobQueue;
  /**
   * The run's cost ledger, with the dollar budget; the proposer's model calls
   * must go through it. Default: the proposer's own ledger if it has one, else
   * a new one with `config.budget.usd`.
   */
  ledger?: Ledger;
  /** Default: the proposer, if it is one. */
  observer?: ProposalObserver;
  /**
   * `audit.onNewBest` (src/audit/gate.ts): looks at an evaluation that would
   * make a new best and returns the one to store (invalid, with why, for a
   * program with a weakness).
   */
  gate?: { review(code: string, evaluation: Evaluation, bestScore: number): Promise<Evaluation> };
  /** Called for every event once it is stored, in store order. */
  onEvent?: (event: RunEvent) => void;
  /** Told what the user should know during the run (the evaluation time limit in force). */
  onNotice?: (line: string) => void;
  /**
   * A replay's recorded order of selections and commits (`scheduleOf`): each
   * selection then sees exactly what it saw in the recorded run.
   */
  schedule?: readonly string[] | null;
  clock?: () => number;
  /** A heartbeat is stored when nothing was for this long (on the clock); default 5 s. */
  heartbeatMs?: number;
}

export interface RunOutcome {
  reason: StopReason;
  detail?: string;
  best: Program | undefined;
}
