/** Domain types shared by every layer. No I/O here. */

export type Metrics = Record<string, number>;

/** Where a workload belongs: the search only ever sees `train`. */
export type Split = "train" | "test";

/** The result of one workload inside an evaluation, recomputed by trusted code. */
export interface WorkloadResult {
  workload: string;
  valid: boolean;
  /**
   * 0–100: the task's `aggregate` over this one workload, computed by the
   * evaluator (trusted code) for every workload of an ok evaluation.
   */
  score?: number;
  metrics: Metrics;
  error?: string;
  /** Wall time of the candidate's call, measured by the sandbox. */
  durationMs?: number;
}

export type EvaluationStatus =
  | "ok" // ran and produced valid outputs on every workload
  | "invalid" // ran, but an output failed validation
  | "error" // threw, failed to compile, or returned something unusable
  | "timeout" // hit the wall-clock or CPU limit
  | "crash"; // the sandbox process died (heap limit, signal)

export interface StageResult {
  name: string;
  score: number;
  metrics: Metrics;
  passed: boolean;
}

/** A trusted evaluation of one candidate on one split. */
export interface Evaluation {
  status: EvaluationStatus;
  /** 0–100, the task's fixed anchors (baseline = 0, target = 100). 0 when not ok. */
  score: number;
  /** Raw metrics (makespan, cost, …) aggregated over the split. */
  metrics: Metrics;
  workloads: WorkloadResult[];
  stages: StageResult[];
  /** Short text for the next prompt: per-workload results, worst cases, errors. */
  feedback: string;
  error?: string;
  durationMs: number;
  /** The wall-clock limit of each sandbox run (one cascade stage) in force for this evaluation. */
  timeoutMs?: number;
}

/** An evaluated program in the population. */
export interface Program {
  id: string;
  parentId: string | null;
  code: string;
  /** Train score, 0–100: the only fitness the search sees. */
  score: number;
  metrics: Metrics;
  feedback: string;
  /**
   * The strategy's tag from the selection that produced it (an island, a front,
   * a beam), stored and handed back without the engine reading it; "" for the seed.
   */
  tag: string;
  generation: number;
  /** The iteration (candidate number) that produced it; 0 for the seed. */
  iteration: number;
  /** Unified diff against the parent ("" for the seed). */
  diff: string;
  model: string;
  createdAt: number;
  /** How its score was measured when the task is noisy and it was the seed or a would-be best. */
  noise?: NoiseMeasure;
}

/**
 * The repeated evaluations behind a noisy task's program (docs/architecture.md,
 * "Noisy tasks"). The seed is evaluated `evaluation.repeats` more times (the
 * noise floor); a candidate that would become the best is evaluated as many
 * times, each run followed by one of the incumbent best, so both see the same
 * machine. Scores here are train scores, 0–100; a failed run counts as 0.
 */
export interface NoiseMeasure {
  /** The program's own re-evaluations, in the order they ran (its first, single evaluation left out). */
  samples: number[];
  median: number;
  /** Half the range of the samples: the score is shown as score ± spread. */
  spread: number;
  /** The incumbent best of the round and its re-evaluations beside these; absent for the seed. */
  incumbent?: { id: string; score: number; samples: number[]; median: number; spread: number };
  /** Whether it won the round (the seed: true): its median beat the incumbent's by more than the larger spread. */
  won: boolean;
}

/** Token usage and dollars of one model call. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** One message of a conversation with a model. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/**
 * How a model request ended: "ok"; "empty" (no text); "truncated" (cut by the
 * token limit); "unknown" (in flight when the process died, charged at its
 * reservation); or the failure's kind (src/llm/errors.ts: "rate_limit",
 * "server", "timeout", "connection", "cut", "bad_response", …).
 */
export type CallOutcome = "ok" | "empty" | "truncated" | "unknown" | (string & {});

/**
 * One HTTP attempt of a model call, as the cost ledger records it (the
 * `model_called` event): who asked (role and candidate), what it cost, how it
 * ended, and on the attempt that ended its call what was sent and received.
 * Every role that calls a model is recorded the same way, so one ledger
 * covers the run, and every request a provider received is one entry.
 *
 * This is the one shape of a model call; the readers that need less take a
 * view of it (`LedgerEntry` in the store, `CallSeen` for learners,
 * `AttemptReport` from a client).
 */
export interface ModelCall {
  /** The candidate the call worked for; null for calls that serve the run as a whole. */
  candidateId: string | null;
  /** The iteration the call belongs to (the candidate's), for rests counted in iterations. */
  iteration: number | null;
  /** mutation | repair | … */
  role: string;
  /** `provider:name`. */
  model: string;
  /**
   * The logical call the attempt belongs to: every attempt of one request
   * shares it. Absent in runs stored before attempts were entries of their own.
   */
  call?: string;
  /**
   * Which attempt of its call this is, from 1. In runs stored before attempts
   * were entries of their own, the number of attempts the call made.
   */
  attempt: number;
  /**
   * Set when the attempt failed and the call was tried again: it is not the
   * attempt that ended its call. Absent on the one that did (and on every
   * entry of older runs, where an entry was a whole call).
   */
  retried?: true;
  /** Exactly what was sent; empty on a retried attempt (its call's last entry has them). */
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  /** The text the call returned, on the attempt that ended it; null when no reply came. */
  reply: string | null;
  finishReason: string | null;
  /** This attempt's tokens and dollars (what it was billed, or is believed to have been). */
  usage: Usage;
  /** True when some token counts are chars/4 estimates (the provider reported none). */
  usageEstimated?: boolean;
  outcome: CallOutcome;
  /** The failure's message when the attempt failed. */
  error?: string;
  /** HTTP status of an error reply. */
  status?: number;
  durationMs: number;
  /** The id of the reservation stored before the attempt was sent (see `model_reserved`). */
  reservation?: string;
}

/** What a model client reports of each attempt as it ends: the ledger adds who asked and what was sent. */
export type AttemptReport = Pick<
  ModelCall,
  | "attempt"
  | "outcome"
  | "usage"
  | "usageEstimated"
  | "error"
  | "status"
  | "durationMs"
  | "reply"
  | "finishReason"
>;

/** A model call as a learner needs it (the ensemble's cost and rests): live, or from the ledger as stored. */
export type CallSeen = Pick<ModelCall, "model" | "iteration" | "usage" | "outcome" | "error" | "retried">;

/**
 * What a model request may cost, stored before it is sent. A reservation that
 * no `model_called` resolves (the process died with the request in flight, or
 * before its candidate was stored) is charged at `usd` on resume, as an
 * attempt whose outcome is unknown, so kills cannot spend past the dollar budget.
 */
export interface Reservation {
  reservation: string;
  candidateId: string | null;
  iteration: number | null;
  role: string;
  model: string;
  /** The logical call (see `ModelCall.call`); absent in older runs, where a reservation was a whole call's. */
  call?: string;
  /** Which attempt of its call it holds for; absent in older runs. */
  attempt?: number;
  /**
   * The most the attempt may cost: its prompt and its whole token limit. (In
   * older runs, the most the call may have cost so far, earlier attempts included.)
   */
  usd: number;
}

/** A proposed child: code produced from a parent by a proposer, not yet evaluated. */
export interface Candidate {
  id: string;
  iteration: number;
  parentId: string;
  /** The selection's tag (see Program.tag). */
  tag: string;
  code: string;
  diff: string;
  model: string;
  /**
   * Dollars of the model calls that proposed it (its proposal's usage:
   * mutation, repair, a strategy's preparatory call), stored with it and
   * read back on resume. Absent only on hand-made candidates (tests).
   */
  costUsd?: number;
}

/**
 * How a candidate ended, as its strategy learns it (live, and again in stored
 * order on resume): a program, a failed evaluation, an edit that could not be
 * applied, or a candidate the strategy's screen turned away.
 */
export type Settled =
  | { status: "ok"; candidate: Candidate; evaluation: Evaluation; program: Program }
  | { status: "failed"; candidate: Candidate; evaluation: Evaluation }
  | { status: "screened"; candidate: Candidate; reason: string }
  | { status: "rejected"; candidate: Omit<Candidate, "code"> & { code: null }; reason: string };

/** A child of some parent that did not make it: its edit was rejected or its evaluation failed. */
export interface FailedAttempt {
  candidateId: string;
  reason: string;
  diff: string;
  /** The ancestor it was tried on, when not the parent itself (negative memory of the lineage). */
  on?: string;
}
