import type { RunEvent, StoredEvent } from "../core/events.ts";
import type { Candidate, Evaluation, Program, Usage } from "../core/types.ts";
import type { FailedAttempt } from "../search/proposer.ts";

/** Spend of one model, as the ledger projection sums it. */
export interface ModelSpend {
  model: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
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
  failedEvaluations: number;
  costUsd: number;
  spend: ModelSpend[];
  best: { id: string; score: number; testScore: number | null } | null;
}

/**
 * The event log of one run and its projections. Implementations: SQLite
 * (embedded default) and, later, PostgreSQL. Every `append` is one transaction.
 */
export interface Store {
  append(events: RunEvent[]): Promise<void>;
  events(afterSeq?: number, limit?: number): Promise<StoredEvent[]>;
  /** All programs in the order they were inserted (the order strategies ingest them). */
  programs(): Promise<Program[]>;
  program(id: string): Promise<Program | undefined>;
  best(): Promise<{ program: Program; evaluation: Evaluation; test: Evaluation | null } | undefined>;
  /** Candidates proposed with code but never evaluated (in flight when the run stopped). */
  pendingCandidates(): Promise<Candidate[]>;
  recentFailures(parentId: string, limit: number): Promise<FailedAttempt[]>;
  /** The config the run started with (as stored in run_started). */
  startConfig(): Promise<unknown | undefined>;
  lastRngState(): Promise<[number, number, number, number] | undefined>;
  totalUsage(): Promise<Usage>;
  summary(): Promise<RunSummary>;
  /** Seconds the run has been active over all its sessions, for the time limit. */
  activeSeconds(now?: number): Promise<number>;
  close(): Promise<void>;
}
