/**
 * What the dashboard API sends. Type-only: the page (web/) imports these too,
 * so nothing here may pull in Node modules.
 */
import type { Drift } from "../audit/drift.ts";
import type { EvaluationStatus, Metrics, ModelCall, Usage, WorkloadResult } from "../core/types.ts";
import type { CompareSummary } from "../compare/summarise.ts";
import type { LedgerEntry } from "../store/store.ts";
import type { Rows } from "./rows.ts";

/** "interrupted": the store says running, but no live process holds the run (it was killed). */
export type RunState = "new" | "running" | "stopped" | "interrupted";

/** One line of the runs page. */
export interface RunEntry {
  /** Stable id of the run in this server's catalog (never a path). */
  id: string;
  /** The run's folder, relative to the folder `serve` was given. */
  name: string;
  task: string | null;
  strategy: string;
  state: RunState;
  stopReason: string | null;
  iterations: number;
  evaluations: number;
  programs: number;
  best: { id: string; score: number; testScore: number | null; spread: number | null } | null;
  /** The best program's train–test gap against `audit.driftAlarm` (docs/audit.md); null before its test score. */
  drift: Drift | null;
  costUsd: number;
  activeSeconds: number;
  evaluationsPerHour: number;
  lastEventAt: number | null;
}

/** One candidate (and the seed): its proposal and, once settled, its evaluation. */
export interface CandidateRow {
  id: string;
  iteration: number;
  parentId: string | null;
  /** The strategy's tag for it (an island, a front, a beam), stored without being read. */
  tag: string;
  model: string;
  /** proposed (in flight) | rejected (edit failed) | screened (turned away by the strategy) | evaluated */
  state: "proposed" | "rejected" | "screened" | "evaluated";
  status: EvaluationStatus | null;
  /** Train score when it became a program; null otherwise. */
  score: number | null;
  /** A noisy task's re-evaluated program: half the range of its runs (score ± spread); null: evaluated once. */
  spread: number | null;
  testScore: number | null;
  /** Why it did not make it: the rejection, or the evaluation's error. */
  reason: string | null;
  generation: number | null;
  costUsd: number;
  proposedAt: number;
  settledAt: number | null;
  /** Never selected again (a veto from the dashboard). */
  vetoed: boolean;
}

/** One entry of the cost ledger (an HTTP attempt), as the run page draws it. */
export type CallRow = Pick<
  LedgerEntry,
  "at" | "iteration" | "role" | "model" | "usage" | "outcome" | "retried"
>;

/** A start or resume of the run, and how that session ended. */
export interface SessionRow {
  startedAt: number;
  stoppedAt: number | null;
  reason: string | null;
  detail: string | null;
}

/** A hint the user added from the dashboard, shown to the model until withdrawn. */
export interface HintRow {
  id: string;
  text: string;
  addedAt: number;
  withdrawnAt: number | null;
}

/** What the page may ask of a live run. */
export type SteerRequest =
  | { action: "pause" }
  | { action: "continue" }
  | { action: "hint"; text: string }
  | { action: "withdraw"; hintId: string }
  | { action: "veto"; programId: string };

export interface SteeringState {
  /** Steering is offered only while a live process holds the run. */
  available: boolean;
  paused: boolean;
  hints: HintRow[];
}

/**
 * The run page's data as of event `seq`. A delta has the same shape and holds
 * only what changed after the `since` it was asked for: candidates replace
 * rows with the same id, calls and sessions are appended / replaced by index.
 */
export interface RunPayload {
  run: RunEntry;
  seq: number;
  since: number;
  config: unknown;
  candidates: Rows<CandidateRow>;
  calls: Rows<CallRow>;
  /** Index of the first call in `calls` (a delta's calls continue the ledger). */
  callsFrom: number;
  sessions: SessionRow[];
  steering: SteeringState;
}

/** An attempt of a model call that made a candidate, with what was sent and received. */
export type CallDetail = Pick<
  ModelCall,
  | "role"
  | "model"
  | "messages"
  | "reply"
  | "usage"
  | "outcome"
  | "error"
  | "attempt"
  | "retried"
  | "durationMs"
>;

export interface EvaluationDetail {
  status: EvaluationStatus;
  score: number;
  metrics: Metrics;
  workloads: WorkloadResult[];
  feedback: string;
  error?: string;
  durationMs: number;
}

/** The program page. */
export interface ProgramPayload {
  runId: string;
  candidate: CandidateRow;
  code: string | null;
  diff: string;
  prompt: string;
  reply: string;
  usage: Usage;
  calls: CallDetail[];
  evaluation: EvaluationDetail | null;
  test: EvaluationDetail | null;
  children: string[];
  /** The run is live, so the page may offer to veto this program. */
  steerable: boolean;
}

/** What the run page draws for the strategy: its name and its own `describe()`. */
export interface StrategyDescription {
  strategy: string;
  /** The strategy's picture (islands with their MAP-Elites grids, a front, a beam); null if it could not be rebuilt. */
  description: unknown;
  error: string | null;
}

/** A folder written by `adrs compare`, listed beside the runs. */
export interface CompareEntry {
  id: string;
  name: string;
}

/** One comparison `adrs compare` wrote under the served folders. */
export interface CompareEntry {
  id: string;
  /** Its folder, relative to the folder `serve` was given. */
  name: string;
  task: string;
  strategies: string[];
  seeds: number[];
  runs: number;
}

/** A comparison's page: its summary.json, and the catalog id of each of its runs the dashboard follows. */
export interface ComparePayload extends CompareEntry {
  summary: CompareSummary;
  /** Run folder name (as in the summary) → run id. */
  runIds: Record<string, string>;
}
