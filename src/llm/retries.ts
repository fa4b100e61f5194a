/**
 * The one retry layer of every provider's client. The SDKs' own retries are
 * off, so that every HTTP attempt is held against the budget and reserved
 * before it is sent (`request.reserve`), and reported to the cost ledger once
 * it ends (`request.onAttempt`): the requests a provider receives and the
 * ledger's entries are the same in number.
 */
import type { AttemptReport, CallOutcome } from "../core/types.ts";
import { AttemptFailure, type AttemptSource, aborted, type Reply } from "./attempts.ts";
import type { Completion, CompletionRequest } from "./client.ts";
import { LlmError } from "./errors.ts";
import { costUsd, estimateCostUsd, type TokenCounts } from "./pricing.ts";

/** How a reply that came ended: "truncated" by the token limit, "empty", else "ok". */
export function replyOutcome(text: string, finishReason: string | null): CallOutcome {
  return finishReason === "length" ? "truncated" : text.trim() === "" ? "empty" : "ok";
}

/** The longest wait a Retry-After may ask for and be honoured (the SDKs' limit); beyond it, our own backoff. */
const MAX_RETRY_AFTER_MS = 60_000;
const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 8_000;

/** Exponential backoff with up to 25% jitter, as the providers' SDKs do. */
function backoffMs(retry: number): number {
  return Math.min(BACKOFF_START_MS * 2 ** retry, BACKOFF_MAX_MS) * (1 - Math.random() * 0.25);
}

/** Resolves after `ms`, or at once when `signal` fires. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Runs HTTP attempts until one gives a usable reply. Before each it asks the
 * budget (`request.reserve`); after each it reports the attempt
 * (`request.onAttempt`) with what it was billed. Transport faults are retried
 * up to `maxRetries` times, after the wait the server asked for or an
 * exponential backoff; replies we cannot use (cut, unreadable, empty) up to
 * `replyRetries` times. The final failure becomes an LlmError.
 */
export async function completeWithRetries(
  source: AttemptSource,
  request: CompletionRequest,
): Promise<Completion> {
  const { maxRetries, replyRetries, replyRetryDelayMs } = source.transport;
  const spent = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
  let estimated = false;
  let attempts = 0;
  const used = { transport: 0, reply: 0 };
  let lastEmpty: Reply | undefined;
  const usage = () => ({
    inputTokens: spent.inputTokens,
    outputTokens: spent.outputTokens,
    costUsd: costUsd(spent, source.price),
  });
  const completion = (reply: Reply): Completion => ({
    text: reply.text,
    model: source.model,
    // Every attempt of this call that was billed, not only the last: what getting this reply cost.
    usage: usage(),
    finishReason: reply.finishReason,
    ...(estimated ? { usageEstimated: true } : {}),
    attempts,
  });
  const attemptCost = estimateCostUsd(request, source.price);
  const report = (
    started: number,
    tokens: TokenCounts | undefined,
    isEstimate: boolean,
    end: Partial<AttemptReport>,
  ) => {
    const counts = tokens ?? { inputTokens: 0, outputTokens: 0 };
    spent.inputTokens += counts.inputTokens;
    spent.outputTokens += counts.outputTokens;
    spent.cachedInputTokens += counts.cachedInputTokens ?? 0;
    estimated ||= isEstimate && tokens !== undefined;
    request.onAttempt?.({
      attempt: attempts,
      outcome: "ok",
      reply: null,
      finishReason: null,
      ...end,
      usage: {
        inputTokens: counts.inputTokens,
        outputTokens: counts.outputTokens,
        costUsd: costUsd(counts, source.price),
      },
      ...(isEstimate && tokens !== undefined ? { usageEstimated: true } : {}),
      durationMs: Date.now() - started,
    });
  };

  let failure: AttemptFailure;
  for (;;) {
    if (request.signal?.aborted) {
      failure = aborted();
      break;
    }
    if (request.reserve && !(await request.reserve(attempts + 1, attemptCost))) {
      failure = new AttemptFailure({
        kind: "budget",
        message: `not sent: the dollar budget cannot hold its estimated cost of $${attemptCost.toFixed(4)}`,
        retry: "none",
      });
      break;
    }
    attempts++;
    const started = Date.now();
    let reply: Reply;
    try {
      reply = await source.attempt(request);
    } catch (error) {
      failure = source.classify(error, request);
      report(started, failure.billed, true, {
        outcome: failure.kind,
        error: failure.message,
        ...(failure.status === undefined ? {} : { status: failure.status }),
      });
      if (!(await retryAfter(failure))) break;
      continue;
    }
    const outcome = replyOutcome(reply.text, reply.finishReason);
    report(started, reply.tokens, reply.estimated, {
      outcome,
      reply: reply.text,
      finishReason: reply.finishReason,
    });
    // A reasoning model that spent its whole budget thinking replies empty with
    // "length" (truncated); asking again would burn the same tokens for the same result.
    if (outcome !== "empty") return completion(reply);
    lastEmpty = reply;
    failure = new AttemptFailure({ kind: "bad_response", message: "empty reply", retry: "reply" });
    if (!(await retryAfter(failure))) return completion(reply);
  }
  // An empty reply is an answer; a later attempt's failure should not hide it.
  if (lastEmpty && failure.kind !== "aborted" && failure.kind !== "budget") return completion(lastEmpty);
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

  /** Whether to try again after `f`; waits first (the server's Retry-After, else a backoff). */
  async function retryAfter(f: AttemptFailure): Promise<boolean> {
    if (f.retry === "none") return false;
    const n = used[f.retry];
    if (n >= (f.retry === "transport" ? maxRetries : replyRetries)) return false;
    used[f.retry]++;
    const asked =
      f.retryAfterMs !== undefined && f.retryAfterMs <= MAX_RETRY_AFTER_MS ? f.retryAfterMs : undefined;
    await sleep(
      asked ?? (f.retry === "transport" ? backoffMs(n) : replyRetryDelayMs * 2 ** n),
      request.signal,
    );
    if (request.signal?.aborted) {
      failure = aborted();
      return false;
    }
    return true;
  }
}
