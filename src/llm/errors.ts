import type { CallOutcome, Usage } from "../core/types.ts";

/**
 * Why a model call failed after every retry.
 *
 * - `rate_limit`, `server`, `timeout`, `connection`: transport faults our
 *   retry layer already retried (429, 5xx/408/409, no response in time,
 *   connection refused/reset).
 * - `cut`: a 200 reply whose body stopped before the model finished (socket
 *   closed mid-stream, or a stream that stalled longer than the timeout).
 * - `bad_response`: a 200 reply that is not a completion (non-JSON body,
 *   malformed SSE, no choices).
 * - `auth`: 401/403; `bad_request`: other 4xx (unknown model, prompt too long).
 *   Retrying these gives the same answer, so an engine may choose to stop on them.
 * - `aborted`: the caller's signal fired.
 * - `budget`: not sent, because the dollar budget cannot hold its cost.
 * - `replay_missing`: a replay has no recorded reply for this request.
 */
export type LlmErrorKind =
  | "rate_limit"
  | "server"
  | "timeout"
  | "connection"
  | "cut"
  | "bad_response"
  | "auth"
  | "bad_request"
  | "aborted"
  | "budget"
  | "replay_missing";

/**
 * Outcomes that say nothing against the model: answers, and kinds where the
 * caller stopped it, it was never sent, or the process died with it in flight.
 */
const NOT_MODEL_FAULTS: ReadonlySet<string> = new Set([
  "ok",
  "empty",
  "truncated",
  "unknown",
  "aborted",
  "budget",
  "replay_missing",
] satisfies (LlmErrorKind | CallOutcome)[]);

/** Whether a ledger entry's outcome is the model's fault (it counts toward resting the model). */
export function isModelFault(outcome: CallOutcome): boolean {
  return !NOT_MODEL_FAULTS.has(outcome);
}

/**
 * The only error an `LlmClient.complete` throws for a failed call. The engine
 * treats it as a failed proposal, never as fatal to the run, except `budget`
 * (the run drains and stops) and `replay_missing` (a replay cannot go on).
 */
export class LlmError extends Error {
  override name = "LlmError";
  readonly kind: LlmErrorKind;
  /** The `provider:name` spec of the model that was called. */
  readonly model: string;
  /** HTTP status, when the failure was an HTTP error reply. */
  readonly status: number | undefined;
  /** HTTP attempts made (each told to `onAttempt`). 0: nothing was sent. */
  readonly attempts: number;
  /**
   * Tokens and dollars the failed attempts are believed to have cost, so the
   * ledger can charge them: a stream that was cut had already been billed.
   */
  readonly usage: Usage;
  /** True when some of `usage` is a chars/4 estimate. */
  readonly usageEstimated: boolean;

  constructor(init: {
    kind: LlmErrorKind;
    model: string;
    message: string;
    status?: number;
    attempts?: number;
    usage?: Usage;
    usageEstimated?: boolean;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.model = init.model;
    this.status = init.status;
    this.attempts = init.attempts ?? 1;
    this.usage = init.usage ?? { inputTokens: 0, outputTokens: 0, costUsd: 0 };
    this.usageEstimated = init.usageEstimated ?? false;
  }
}
