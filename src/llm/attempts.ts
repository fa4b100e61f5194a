/**
 * What every provider's client shares around one HTTP attempt: transport
 * options, an attempt's failure and what it may retry, its reply, idle
 * timeouts on bodies and streams, and reading error replies (status, the wait
 * the server asks for). The loop over attempts is retries.ts.
 */
import type { CompletionRequest } from "./client.ts";
import type { LlmErrorKind } from "./errors.ts";
import { estimateTokens, promptChars } from "../core/tokens.ts";
import type { Price, TokenCounts } from "./pricing.ts";

export const DEFAULT_TIMEOUT_MS = 600_000;
export const DEFAULT_MAX_RETRIES = 4;
export const DEFAULT_REPLY_RETRIES = 2;
export const DEFAULT_REPLY_RETRY_DELAY_MS = 500;

/** Transport knobs every client takes. */
export interface TransportOptions {
  /**
   * Per request, until the reply's headers arrive, and the longest silence
   * allowed between two chunks of a body or stream. Default 10 minutes, the
   * SDKs' own default, because reasoning models can think that long.
   */
  timeoutMs?: number;
  /**
   * Transport retries (429, 408/409/5xx, timeouts, refused connections), with
   * exponential backoff that honours Retry-After. Default 4.
   */
  maxRetries?: number;
  /**
   * Our own retries, for what the transport does not retry: a 200 reply whose
   * body was cut or stalled, a body that is not a completion, and an empty
   * reply. Default 2.
   */
  replyRetries?: number;
  /** First delay before one of those retries, doubling after each. Default 500 ms. */
  replyRetryDelayMs?: number;
}

export interface ResolvedTransport {
  timeoutMs: number;
  maxRetries: number;
  replyRetries: number;
  replyRetryDelayMs: number;
}

export function resolveTransport(model: string, options: TransportOptions): ResolvedTransport {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new Error(`${model}: timeoutMs must be a positive integer, got ${options.timeoutMs}`);
  }
  const resolved = {
    timeoutMs,
    maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    replyRetries: options.replyRetries ?? DEFAULT_REPLY_RETRIES,
    replyRetryDelayMs: options.replyRetryDelayMs ?? DEFAULT_REPLY_RETRY_DELAY_MS,
  };
  for (const key of ["maxRetries", "replyRetries", "replyRetryDelayMs"] as const) {
    const value = resolved[key];
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`${model}: ${key} must be a non-negative integer, got ${value}`);
    }
  }
  return resolved;
}

/**
 * The API key of a provider: given, else the first of its variables that is
 * set. A missing key is an error that names the variable to set.
 */
export function resolveApiKey(
  options: { apiKey?: string | undefined; apiKeyEnv?: string | undefined },
  env: Record<string, string | undefined>,
  variables: readonly string[],
): string | undefined {
  if (options.apiKey) return options.apiKey;
  const names = options.apiKeyEnv ? [options.apiKeyEnv] : variables;
  for (const name of names) {
    const value = env[name];
    if (value) return value;
  }
  return undefined;
}

export function missingKeyError(model: string, variables: readonly string[], hint = ""): Error {
  const names = variables.join(" or ");
  return new Error(`${model}: no API key. Set ${names} in the environment${hint}`);
}

/**
 * Which retries a failed attempt may use: `transport` ones (up to
 * `maxRetries`: nothing usable came, a later attempt may fare better),
 * `reply` ones (up to `replyRetries`: a 200 reply we cannot use), or none
 * (the same request would fail the same way, or the caller stopped it).
 */
export type RetryClass = "transport" | "reply" | "none";

/** One attempt's failure, before it becomes an LlmError (which needs the totals over all attempts). */
export class AttemptFailure extends Error {
  readonly kind: LlmErrorKind;
  readonly retry: RetryClass;
  /** What the attempt is believed to have been billed; set when a 200 reply had started. */
  readonly billed: TokenCounts | undefined;
  readonly status: number | undefined;
  /** How long the server asked us to wait before the next attempt. */
  readonly retryAfterMs: number | undefined;

  constructor(init: {
    kind: LlmErrorKind;
    message: string;
    retry: RetryClass;
    billed?: TokenCounts | undefined;
    status?: number | undefined;
    retryAfterMs?: number | undefined;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.retry = init.retry;
    this.billed = init.billed;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** The caller's signal fired. */
export function aborted(cause?: unknown, billed?: TokenCounts): AttemptFailure {
  return new AttemptFailure({
    kind: "aborted",
    message: "aborted by the caller",
    retry: "none",
    billed,
    cause,
  });
}

/** One attempt's reply, with what it was billed. */
export interface Reply {
  text: string;
  finishReason: string;
  tokens: TokenCounts;
  estimated: boolean;
}

/** What a provider's client gives the shared loop. */
export interface AttemptSource {
  readonly model: string;
  readonly price: Price | undefined;
  readonly transport: ResolvedTransport;
  /** One HTTP attempt: a reply, or a throw that `classify` turns into an AttemptFailure. */
  attempt(request: CompletionRequest): Promise<Reply>;
  classify(error: unknown, request: CompletionRequest): AttemptFailure;
}

/**
 * How long the server asks us to wait: `retry-after-ms`, `Retry-After`
 * (seconds or a date), or the RetryInfo of a Google error body ("24s").
 */
export function retryAfterMs(headers: Headers | undefined, body = ""): number | undefined {
  const ms = Number.parseFloat(headers?.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const after = headers?.get("retry-after");
  if (after) {
    const seconds = Number.parseFloat(after);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  const info = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(body);
  return info ? Number.parseFloat(info[1]!) * 1000 : undefined;
}

/** Statuses worth another try, as the providers' SDKs retry them. */
export function isTransportStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** An HTTP error reply as an attempt's failure: its kind, and a transport retry when the status is worth one. */
export function statusFailure(
  status: number,
  message: string,
  retryAfter: number | undefined,
  cause?: unknown,
) {
  return new AttemptFailure({
    kind: statusKind(status),
    message,
    retry: isTransportStatus(status) ? "transport" : "none",
    status,
    retryAfterMs: retryAfter,
    cause,
  });
}

/** The prompt's tokens at chars/4: what a failed attempt that had started is charged. */
export function inputEstimate(request: CompletionRequest): TokenCounts {
  return { inputTokens: estimateTokens(promptChars(request.messages)), outputTokens: 0 };
}

/** The prompt and the text received so far, at chars/4. */
export function partialEstimate(request: CompletionRequest, text: string): TokenCounts {
  return {
    inputTokens: estimateTokens(promptChars(request.messages)),
    outputTokens: estimateTokens(text.length),
  };
}

/**
 * A timer re-armed on every chunk of a stream; `onIdle` fires after `ms` of
 * silence. SDK timeouts stop once the headers are in, so this is ours.
 */
export function idleWatch(ms: number, onIdle: () => void) {
  let timer: NodeJS.Timeout | undefined;
  let fired = false;
  return {
    arm() {
      clearTimeout(timer);
      timer = setTimeout(() => {
        fired = true;
        onIdle();
      }, ms);
    },
    clear() {
      clearTimeout(timer);
    },
    get fired() {
      return fired;
    },
  };
}

/** Reads a whole body, giving up when it goes silent for `timeoutMs`. */
export async function readBody(
  http: Response,
  timeoutMs: number,
  request: CompletionRequest,
): Promise<string> {
  if (!http.body) return "";
  const reader = http.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  // Cancelling ends the pending read with `done`, and closes the socket.
  const watch = idleWatch(timeoutMs, () => reader.cancel().catch(() => {}));
  try {
    for (;;) {
      watch.arm();
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    watch.clear();
  }
  if (watch.fired) {
    throw new AttemptFailure({
      kind: "cut",
      message: `reply body stalled: nothing for ${timeoutMs} ms after ${text.length} chars`,
      retry: "reply",
      billed: inputEstimate(request),
    });
  }
  return text + decoder.decode();
}

/** The kind of an HTTP error status. */
export function statusKind(status: number): LlmErrorKind {
  if (status === 429) return "rate_limit";
  if (status === 401 || status === 403) return "auth";
  if (status === 408) return "timeout";
  if (status === 409 || status >= 500) return "server";
  return "bad_request";
}

/** The error classes of a Stainless-generated SDK (OpenAI's and Anthropic's share the design). */
export interface StainlessErrors {
  APIUserAbortError: abstract new (...args: never[]) => Error;
  APIConnectionTimeoutError: abstract new (...args: never[]) => Error;
  APIConnectionError: abstract new (...args: never[]) => Error;
  APIError: abstract new (
    ...args: never[]
  ) => Error & { status: number | undefined; headers?: Headers | undefined };
  /** The SDK's base error class. */
  SdkError: abstract new (
    ...args: never[]
  ) => Error;
}

/** Maps anything thrown by one attempt through a Stainless SDK (whose own retries are off) onto a failure. */
export function classifyStainless(
  error: unknown,
  request: CompletionRequest,
  /** The SDK's classes; undefined until the SDK is loaded (nothing it threw can be classified by class then). */
  errors: StainlessErrors | undefined,
  timeoutMs: number,
): AttemptFailure {
  if (error instanceof AttemptFailure) return error;
  if (request.signal?.aborted || (errors && error instanceof errors.APIUserAbortError)) return aborted(error);
  if (!errors) {
    const message = error instanceof Error ? error.message : String(error);
    return new AttemptFailure({ kind: "connection", message, retry: "none", cause: error });
  }
  if (error instanceof errors.APIConnectionTimeoutError) return timedOut(timeoutMs, error);
  if (error instanceof errors.APIConnectionError) {
    return new AttemptFailure({
      kind: "connection",
      message: error.message,
      retry: "transport",
      cause: error,
    });
  }
  if (error instanceof errors.APIError) {
    const status = error.status;
    if (status === undefined) {
      // An error event inside a 200 stream: the model had started, so it is billed.
      return new AttemptFailure({
        kind: "server",
        message: `error inside the reply: ${error.message}`,
        retry: "reply",
        billed: inputEstimate(request),
        cause: error,
      });
    }
    return statusFailure(status, error.message, retryAfterMs(error.headers), error);
  }
  // A 200 reply whose body is not JSON (SyntaxError from the SDK's parser), else one that broke off.
  return unreadableOrCut(error, request, error instanceof SyntaxError || error instanceof errors.SdkError);
}

/**
 * A failure that is neither the caller's, nor a timeout, connection or HTTP
 * status: a body that could not be parsed (`unreadable`), else one that broke
 * off after a 200 (undici's "terminated"). Both retried as replies, billed the prompt.
 */
export function unreadableOrCut(
  error: unknown,
  request: CompletionRequest,
  unreadable: boolean,
): AttemptFailure {
  const message = error instanceof Error ? error.message : String(error);
  return new AttemptFailure({
    kind: unreadable ? "bad_response" : "cut",
    message: unreadable ? `unreadable reply: ${message}` : `reply cut off: ${message}`,
    retry: "reply",
    billed: inputEstimate(request),
    cause: error,
  });
}

/** No reply headers within the timeout: a transport fault. */
export function timedOut(timeoutMs: number, cause: unknown): AttemptFailure {
  return new AttemptFailure({
    kind: "timeout",
    message: `no reply within ${timeoutMs} ms`,
    retry: "transport",
    cause,
  });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

export function preview(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

export function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
