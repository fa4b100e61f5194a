import type { RunEvent, RunEventType, StoredEvent } from "../core/events.ts";
import type {
  Candidate,
  Evaluation,
  FailedAttempt,
  ModelCall,
  Program,
  Settled,
  Usage,
} from "../core/types.ts";

/** Spend of one model, as the ledger projection sums it. */
export interface ModelSpend {
  model: string;
  /** Model calls of every role, failed ones included (each ended by its last attempt). */
  calls: number;
  /** HTTP attempts: every ledger entry, retried ones included. */
  attempts: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Attempts that failed (429, 5xx, timeout, cut, garbage, …), whether or not a retry then succeeded. */
  failed: number;
  /** Replies with no text, and replies cut by the token limit. */
  empty: number;
  truncated: number;
  /** Attempts in flight when the run was killed, charged at their reservation (outcome "unknown"). */
  unknown: number;
}

/** Spend of one role (mutation, repair, …). */
export interface RoleSpend {
  role: string;
  calls: number;
  attempts: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** One entry of the cost ledger (one HTTP attempt) as the store projects it: a model call without its exchange. */
export type LedgerEntry = Pick<
  ModelCall,
  "candidateId" | "iteration" | "role" | "model" | "usage" | "durationMs" | "outcome" | "retried"
> & { seq: number; at: number };

/** How a settled proposal turned out, for learners such as the ensemble's bandit. */
export interface ProposalOutcome {
  candidateId: string;
  model: string;
  /** max(0, child score − parent score); 0 when the edit was rejected or the child failed evaluation. */
  gain: number;
}

export interface RunSummary {
  taskId: string | null;
  state: "running" | "stopped" | "interrupted" | "new";
  stopReason: string | null;
  startedAt: number | null;
  lastEventAt: number | null;
  /** Highest iteration proposed so far. */
  iterations: number;
  evaluations: number;
  programs: number;
  rejectedEdits: number;
  /** Candidates the strategy's screen turned away before their evaluation. */
  screened: number;
  failedEvaluations: number;
  /** Dollars spent on model calls (the ledger's total). */
  costUsd: number;
  /** Spend by model, and by role. */
  spend: ModelSpend[];
  spendByRole: RoleSpend[];
  /** `spread`: half the range of its re-evaluations (score ± spread), null when it was evaluated once. */
  best: { id: string; score: number; testScore: number | null; spread: number | null } | null;
  /** A noisy task's re-evaluations (src/engine/noise.ts); null when the run made none. */
  noise: NoiseSummary | null;
}

/** What a run's re-evaluations measured, from its programs' `noise`. */
export interface NoiseSummary {
  /** The seed's runs: the score every program of the task moves by with no change at all. */
  floor: { median: number; spread: number; samples: number } | null;
  /** Rounds of a would-be best against the incumbent, and how many it won. */
  rounds: number;
  won: number;
  /** Evaluations run beyond each program's first (the floor's and both sides of every round). */
  reevaluations: number;
}

/**
 * What a strategy is rebuilt from on resume, in stored order: every settled
 * candidate, and the strategy events between them.
 */
export type HistoryEntry =
  | { settled: Settled; seq: number }
  | { strategyEvent: { strategy: string; kind: string; data: unknown }; seq: number };

/**
 * The event log of one run and its projections. Implementations: SQLite
 * (embedded default, store/sqlite/), PostgreSQL (many runs and machines,
 * store/postgres/) and in memory (tests, throwaway runs);
 * test/store-contract.test.ts holds each to the same behaviour.
 * Every `append` is one transaction: all of its events are stored, or none.
 */
export interface Store {
  append(events: RunEvent[]): Promise<void>;
  /** Events after `afterSeq` in seq order; only those of `types` when given (the engine's read of steering). */
  events(afterSeq?: number, limit?: number, types?: readonly RunEventType[]): Promise<StoredEvent[]>;
  /** All programs in the order they were inserted. */
  programs(): Promise<Program[]>;
  /**
   * Settled candidates and strategy events in stored order: what a strategy
   * ingests and replays on resume. `afterSeq`: only what was stored after it.
   */
  history(afterSeq?: number): Promise<HistoryEntry[]>;
  program(id: string): Promise<Program | undefined>;
  best(): Promise<{ program: Program; evaluation: Evaluation; test: Evaluation | null } | undefined>;
  /** Candidates proposed with code but never evaluated (in flight when the run stopped). */
  pendingCandidates(): Promise<Candidate[]>;
  /** The parent's children that were rejected, screened out or failed their evaluation, newest first. */
  recentFailures(parentId: string, limit: number): Promise<FailedAttempt[]>;
  /** The config the run started with (as stored in run_started). */
  startConfig(): Promise<unknown | undefined>;
  lastRngState(): Promise<[number, number, number, number] | undefined>;
  /** Tokens and dollars of every model call (the ledger's total). */
  totalUsage(): Promise<Usage>;
  /** The cost ledger, one entry per HTTP attempt, in stored order. */
  ledger(): Promise<LedgerEntry[]>;
  /** Every ledger entry in full (the attempts that ended calls with their messages and reply), in stored order: the recording a replay answers from. */
  modelCalls(): Promise<ModelCall[]>;
  /** Every settled proposal (iteration ≥ 1) with its model and gain over its parent. */
  outcomes(): Promise<ProposalOutcome[]>;
  summary(): Promise<RunSummary>;
  /**
   * An evaluation stored outside the event log by key: the evaluation cache
   * (cache key) every worker shares, and each job's result (job key).
   */
  evaluation(key: string): Promise<Evaluation | undefined>;
  /** Stores an evaluation under `key` unless one is stored there already (the first stays). */
  saveEvaluation(key: string, evaluation: Evaluation): Promise<void>;
  /** Seconds the run has been active over all its sessions, for the time limit. */
  activeSeconds(now?: number): Promise<number>;
  close(): Promise<void>;
}
