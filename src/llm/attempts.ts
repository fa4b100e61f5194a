/**
 * What every provider's client shares: our retry layer over the SDK's (for
 * replies the SDK accepts but we cannot use), the budget hold before each
 * attempt, idle timeouts on bodies and streams, and the totals of a call.
 */
import pRetry from "p-retry";
import type { Completion, CompletionRequest } from "./client.ts";
import { LlmError, type LlmErrorKind } from "./errors.ts";
import {
  costUsd,
  estimateCostUsd,
  estimateTokens,
  type Price,
  promptChars,
  type TokenCounts,
} from "./pricing.ts";

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
  /** Transport retries (429, 408/409/5xx, timeouts, refused connections). Default 4. */
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

/** One attempt's failure, before it becomes an LlmError (which needs the totals over all attempts). */
export class AttemptFailure extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    /** Whether our layer should try again; transport-retried faults are not retried twice. */
    readonly retryable: boolean,
    /** What the attempt is believed to have been billed; set when a 200 reply had started. */
    readonly billed?: TokenCounts,
    readonly status?: number,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
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
  /** One attempt: a reply, or a throw that `classify` turns into an AttemptFailure. */
  attempt(request: CompletionRequest): Promise<Reply>;
  classify(error: unknown, request: CompletionRequest): AttemptFailure;
}

/**
 * Runs attempts until one gives a usable reply: retries (with exponential
 * backoff) what the SDK does not, charges every billed attempt, asks the
 * budget before each attempt, and turns the final failure into an LlmError.
 */
export async function completeWithRetries(
  source: AttemptSource,
  request: CompletionRequest,
): Promise<Completion> {
  const { replyRetries, replyRetryDelayMs } = source.transport;
  const spent = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
  let estimated = false;
  let attempts = 0;
  let lastEmpty: Reply | undefined;
  const charge = (tokens: TokenCounts, isEstimate: boolean) => {
    spent.inputTokens += tokens.inputTokens;
    spent.outputTokens += tokens.outputTokens;
    spent.cachedInputTokens += tokens.cachedInputTokens ?? 0;
    estimated ||= isEstimate;
  };
  const usage = () => ({
    inputTokens: spent.inputTokens,
    outputTokens: spent.outputTokens,
    costUsd: costUsd(spent, source.price),
  });
  const completion = (reply: Reply): Completion => ({
    text: reply.text,
    model: source.model,
    // Every attempt of this call that was billed, not only the last: the
    // ledger must see what getting this reply cost.
    usage: usage(),
    finishReason: reply.finishReason,
    ...(estimated ? { usageEstimated: true } : {}),
    attempts,
  });
  const attemptCost = estimateCostUsd(request, source.price);

  try {
    return await pRetry(
      async (attemptNumber) => {
        if (request.reserve && !request.reserve(usage().costUsd + attemptCost)) {
          throw new AttemptFailure(
            "budget",
            `not sent: the dollar budget cannot hold its estimated cost of $${attemptCost.toFixed(4)}`,
            false,
          );
        }
        attempts = attemptNumber;
        let reply: Reply;
        try {
          reply = await source.attempt(request);
        } catch (error) {
          const failure = source.classify(error, request);
          if (failure.billed) charge(failure.billed, true);
          throw failure;
        }
        charge(reply.tokens, reply.estimated);
        // A reasoning model that spent its whole budget thinking replies empty
        // with "length"; asking again would burn the same tokens for the same result.
        const empty = reply.text.trim() === "" && reply.finishReason !== "length";
        if (empty && attemptNumber <= replyRetries) {
          lastEmpty = reply;
          throw new AttemptFailure("bad_response", "empty reply", true);
        }
        return completion(reply);
      },
      {
        retries: replyRetries,
        minTimeout: replyRetryDelayMs,
        factor: 2,
        signal: request.signal,
        shouldRetry: ({ error }) => error instanceof AttemptFailure && error.retryable,
      },
    );
  } catch (error) {
    const failure = source.classify(error, request);
    // An empty reply is an answer; a later attempt's failure should not hide it.
    if (lastEmpty && failure.kind !== "aborted") return completion(lastEmpty);
    throw new LlmError({
      kind: failure.kind,
      model: source.model,
      message: `${source.model}: ${failure.message}${attempts > 1 ? ` (after ${attempts} attempts)` : ""}`,
      ...(failure.status === undefined ? {} : { status: failure.status }),
      attempts,
      usage: usage(),
      usageEstimated: estimated,
      cause: failure.cause,
    });
  }
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
    throw new AttemptFailure(
      "cut",
      `reply body stalled: nothing for ${timeoutMs} ms after ${text.length} chars`,
      true,
      inputEstimate(request),
    );
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
  APIError: abstract new (...args: never[]) => Error & { status: number | undefined };
  /** The SDK's base error class. */
  SdkError: abstract new (
    ...args: never[]
  ) => Error;
}

/** Maps anything thrown by one attempt through a Stainless SDK (or by p-retry) onto a failure kind. */
export function classifyStainless(
  error: unknown,
  request: CompletionRequest,
  /** The SDK's classes; undefined until the SDK is loaded (nothing it threw can be classified by class then). */
  errors: StainlessErrors | undefined,
  timeoutMs: number,
): AttemptFailure {
  if (error instanceof AttemptFailure) return error;
  if (!errors) {
    if (request.signal?.aborted) {
      return new AttemptFailure("aborted", "aborted by the caller", false, undefined, undefined, error);
    }
    return new AttemptFailure("connection", error instanceof Error ? error.message : String(error), false);
  }
  if (request.signal?.aborted || error instanceof errors.APIUserAbortError) {
    return new AttemptFailure("aborted", "aborted by the caller", false, undefined, undefined, error);
  }
  // The SDK has already retried everything below up to maxRetries times.
  if (error instanceof errors.APIConnectionTimeoutError) {
    return timedOut(timeoutMs, error);
  }
  if (error instanceof errors.APIConnectionError) {
    return new AttemptFailure("connection", error.message, false, undefined, undefined, error);
  }
  if (error instanceof errors.APIError) {
    const status = error.status;
    if (status === undefined) {
      // An error event inside a 200 stream: the SDK only retries before the body starts.
      return new AttemptFailure(
        "server",
        `error inside the reply: ${error.message}`,
        true,
        inputEstimate(request),
        undefined,
        error,
      );
    }
    return new AttemptFailure(statusKind(status), error.message, false, undefined, status, error);
  }
  // A 200 reply whose body is not JSON (SyntaxError from the SDK's parser), else one that broke off.
  return unreadableOrCut(error, request, error instanceof SyntaxError || error instanceof errors.SdkError);
}

/**
 * A failure that is neither the caller's, nor a timeout, connection or HTTP
 * status: a body that could not be parsed (`unreadable`), else one that broke
 * off after a 200 (undici's "terminated"). Both retryable, billed the prompt.
 */
export function unreadableOrCut(
  error: unknown,
  request: CompletionRequest,
  unreadable: boolean,
): AttemptFailure {
  const message = error instanceof Error ? error.message : String(error);
  return unreadable
    ? new AttemptFailure(
        "bad_response",
        `unreadable reply: ${message}`,
        true,
        inputEstimate(request),
        undefined,
        error,
      )
    : new AttemptFailure("cut", `reply cut off: ${message}`, true, inputEstimate(request), undefined, error);
}

/** No reply within the timeout, after every transport retry: not retried again. */
export function timedOut(timeoutMs: number, cause: unknown): AttemptFailure {
  return new AttemptFailure("timeout", `no reply within ${timeoutMs} ms`, false, undefined, undefined, cause);
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
