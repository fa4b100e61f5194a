import type { Usage } from "../core/types.ts";

/**
 * Why a model call failed after every retry.
 *
 * - `rate_limit`, `server`, `timeout`, `connection`: transport faults the SDK
 *   already retried (429, 5xx/408/409, no response in time, connection refused/reset).
 * - `cut`: a 200 reply whose body stopped before the model finished (socket
 *   closed mid-stream, or a stream that stalled longer than the timeout).
 * - `bad_response`: a 200 reply that is not a chat completion (non-JSON body,
 *   malformed SSE, no choices).
 * - `auth`: 401/403; `bad_request`: other 4xx (unknown model, prompt too long).
 *   Retrying these gives the same answer, so an engine may choose to stop on them.
 * - `aborted`: the caller's signal fired.
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
  | "aborted";

/**
 * The only error an `LlmClient.complete` throws for a failed call. The engine
 * treats it as a failed proposal, never as fatal to the run.
 */
export class LlmError extends Error {
  override name = "LlmError";
  readonly kind: LlmErrorKind;
  /** The `provider:name` spec of the model that was called. */
  readonly model: string;
  /** HTTP status, when the failure was an HTTP error reply. */
  readonly status: number | undefined;
  /** Calls made by our retry layer; each may include the SDK's own retries. */
  readonly attempts: number;
  /**
   * Tokens and dollars the failed attempts are believed to have cost, so the
   * ledger can charge them: a stream that was cut had already been billed.
   */
  readonly usage: Usage;

  constructor(init: {
    kind: LlmErrorKind;
    model: string;
    message: string;
    status?: number;
    attempts?: number;
    usage?: Usage;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.model = init.model;
    this.status = init.status;
    this.attempts = init.attempts ?? 1;
    this.usage = init.usage ?? { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  }
}
