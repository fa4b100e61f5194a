import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  OpenAIError,
} from "openai";
import pRetry from "p-retry";
import type { ChatMessage, Completion, CompletionRequest, LlmClient } from "./client.ts";
import { LlmError, type LlmErrorKind } from "./errors.ts";
import { costUsd, type Price, priceFor, type TokenCounts } from "./pricing.ts";
import { formatModelSpec, type ModelSpec, parseModelSpec } from "./spec.ts";

export interface OpenAiClientOptions {
  /** `openai:<name>`; with `baseUrl`, any model name the server knows. */
  model: string;
  /** An OpenAI-compatible server (vLLM, Ollama, llama.cpp, OpenRouter), including its `/v1`. */
  baseUrl?: string;
  /** Defaults to `OPENAI_API_KEY`. */
  apiKey?: string;
  /**
   * Per request, until the reply's headers arrive (the SDK's timeout), and the
   * longest silence allowed between two chunks of a stream (ours: the SDK's
   * timeout stops once the headers are in). Default 10 minutes, the SDK's own
   * default, because reasoning models can think that long before replying.
   */
  timeoutMs?: number;
  /** SDK retries of 429, 408/409/5xx, timeouts and refused connections. Default 4. */
  maxRetries?: number;
  /** Stream the reply (SSE). Default false. */
  stream?: boolean;
  /** Overrides the built-in price table. */
  price?: Price;
  /** Forces the reasoning-model parameter style; by default guessed from the name. */
  reasoning?: boolean;
  /**
   * Our own retries, for what the SDK does not retry: a 200 reply whose body was
   * cut or stalled, a body that is not a chat completion, and an empty reply.
   * Default 2.
   */
  replyRetries?: number;
  /** First delay before one of those retries, doubling after each. Default 500 ms. */
  replyRetryDelayMs?: number;
  /** Where `OPENAI_API_KEY`, `OPENAI_BASE_URL` and `OPENAI_LOG` are read; default `process.env`. */
  env?: Record<string, string | undefined>;
}

/**
 * Local servers accept any bearer token, but the SDK refuses to start without
 * one, so this stands in when a baseUrl is given and no key is set.
 */
export const PLACEHOLDER_API_KEY = "adrs-no-key";

const DEFAULT_TIMEOUT_MS = 600_000;
const DEFAULT_MAX_RETRIES = 4;
const DEFAULT_REPLY_RETRIES = 2;
const DEFAULT_REPLY_RETRY_DELAY_MS = 500;

/**
 * o-series and gpt-5 models reject `temperature` and `max_tokens`. An
 * OpenRouter-style `openai/o3` prefix is looked through.
 */
export function isReasoningModel(name: string): boolean {
  const base = name.slice(name.lastIndexOf("/") + 1).toLowerCase();
  return /^o[134](?:$|[-.])/.test(base) || base.startsWith("gpt-5");
}

/** Providers' own tokenizers are not available here, so a missing count is chars/4. */
function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

function promptChars(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + m.content.length, 0);
}

/** One attempt's failure, before it becomes an LlmError (which needs the totals over all attempts). */
class AttemptFailure extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    /** Whether our layer should try again; SDK-retried faults are not retried twice. */
    readonly retryable: boolean,
    /** What the attempt is believed to have been billed; set when a 200 reply had started. */
    readonly billed?: TokenCounts,
    readonly status?: number,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

interface Reply {
  text: string;
  finishReason: string;
  tokens: TokenCounts;
  estimated: boolean;
}

export class OpenAiClient implements LlmClient {
  readonly model: string;
  private readonly spec: ModelSpec;
  private readonly sdk: OpenAI;
  private readonly stream: boolean;
  private readonly price: Price | undefined;
  private readonly reasoning: boolean;
  private readonly timeoutMs: number;
  private readonly replyRetries: number;
  private readonly replyRetryDelayMs: number;

  constructor(options: OpenAiClientOptions) {
    this.spec = parseModelSpec(options.model);
    if (this.spec.provider !== "openai") {
      throw new Error(`OpenAiClient: model "${options.model}" is not an "openai:" model`);
    }
    this.model = formatModelSpec(this.spec);
    const env = options.env ?? process.env;
    // Read here rather than left to the SDK, so that the placeholder-key rule
    // below also covers a base URL set through the environment.
    const baseUrl = options.baseUrl ?? (env.OPENAI_BASE_URL || undefined);
    const apiKey =
      options.apiKey ?? (env.OPENAI_API_KEY || undefined) ?? (baseUrl ? PLACEHOLDER_API_KEY : undefined);
    if (!apiKey) {
      throw new Error(
        `${this.model}: no API key. Set OPENAI_API_KEY, or pass apiKey, ` +
          "or give a baseUrl for a local OpenAI-compatible server (which needs no key)",
      );
    }
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs <= 0) {
      throw new Error(`${this.model}: timeoutMs must be a positive integer, got ${options.timeoutMs}`);
    }
    const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.replyRetries = options.replyRetries ?? DEFAULT_REPLY_RETRIES;
    this.replyRetryDelayMs = options.replyRetryDelayMs ?? DEFAULT_REPLY_RETRY_DELAY_MS;
    for (const [key, value] of [
      ["maxRetries", maxRetries],
      ["replyRetries", this.replyRetries],
      ["replyRetryDelayMs", this.replyRetryDelayMs],
    ] as const) {
      if (!Number.isInteger(value) || value < 0) {
        throw new Error(`${this.model}: ${key} must be a non-negative integer, got ${value}`);
      }
    }
    this.stream = options.stream ?? false;
    this.price = priceFor(this.spec, options.price);
    this.reasoning = options.reasoning ?? isReasoningModel(this.spec.name);
    this.sdk = new OpenAI({
      apiKey,
      baseURL: baseUrl ?? "https://api.openai.com/v1",
      timeout: this.timeoutMs,
      maxRetries,
      // Every failure reaches the caller as an LlmError, so the SDK's own
      // console logging (e.g. of an unparseable chunk) would only repeat it;
      // OPENAI_LOG still turns it back on for debugging.
      ...(env.OPENAI_LOG ? {} : { logLevel: "off" as const }),
    });
  }

  async complete(request: CompletionRequest): Promise<Completion> {
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
    const completion = (reply: Reply): Completion => ({
      text: reply.text,
      model: this.model,
      // Every attempt of this call that was billed, not only the last: the
      // ledger must see what getting this reply cost.
      usage: {
        inputTokens: spent.inputTokens,
        outputTokens: spent.outputTokens,
        costUsd: costUsd(spent, this.price),
      },
      finishReason: reply.finishReason,
      ...(estimated ? { usageEstimated: true } : {}),
    });

    try {
      return await pRetry(
        async (attemptNumber) => {
          attempts = attemptNumber;
          let reply: Reply;
          try {
            reply = this.stream ? await this.streamOnce(request) : await this.completeOnce(request);
          } catch (error) {
            const failure = this.classify(error, request);
            if (failure.billed) charge(failure.billed, true);
            throw failure;
          }
          charge(reply.tokens, reply.estimated);
          // A reasoning model that spent its whole budget thinking replies empty
          // with "length"; asking again would burn the same tokens for the same result.
          const empty = reply.text.trim() === "" && reply.finishReason !== "length";
          if (empty && attemptNumber <= this.replyRetries) {
            lastEmpty = reply;
            throw new AttemptFailure("bad_response", "empty reply", true);
          }
          return completion(reply);
        },
        {
          retries: this.replyRetries,
          minTimeout: this.replyRetryDelayMs,
          factor: 2,
          signal: request.signal,
          shouldRetry: ({ error }) => error instanceof AttemptFailure && error.retryable,
        },
      );
    } catch (error) {
      const failure = this.classify(error, request);
      // An empty reply is an answer; a later attempt's transport failure should not hide it.
      if (lastEmpty && failure.kind !== "aborted") return completion(lastEmpty);
      throw new LlmError({
        kind: failure.kind,
        model: this.model,
        message: `${this.model}: ${failure.message}${attempts > 1 ? ` (after ${attempts} attempts)` : ""}`,
        ...(failure.status === undefined ? {} : { status: failure.status }),
        attempts,
        usage: {
          inputTokens: spent.inputTokens,
          outputTokens: spent.outputTokens,
          costUsd: costUsd(spent, this.price),
        },
        cause: failure.cause,
      });
    }
  }

  private params(request: CompletionRequest) {
    const base = {
      model: this.spec.name,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
      ...(request.seed === undefined ? {} : { seed: request.seed }),
    };
    if (this.reasoning) {
      return {
        ...base,
        ...(request.maxTokens === undefined ? {} : { max_completion_tokens: request.maxTokens }),
      };
    }
    return {
      ...base,
      ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    };
  }

  private async completeOnce(request: CompletionRequest): Promise<Reply> {
    // The raw response rather than the SDK's parsed one: the SDK's timeout ends
    // when the headers arrive, and a body that then stalls would hang forever.
    const http = await this.sdk.chat.completions
      .create(
        { ...this.params(request), stream: false },
        request.signal ? { signal: request.signal } : undefined,
      )
      .asResponse();
    const raw = await this.readBody(http, request);
    let response: unknown;
    try {
      response = JSON.parse(raw);
    } catch {
      throw new AttemptFailure(
        "bad_response",
        `reply is not JSON: ${preview(raw)}`,
        true,
        this.inputEstimate(request),
      );
    }
    const choices = isRecord(response) && Array.isArray(response.choices) ? response.choices : undefined;
    const choice: unknown = choices?.[0];
    if (!isRecord(choice)) {
      throw new AttemptFailure(
        "bad_response",
        `reply is not a chat completion: ${preview(raw)}`,
        true,
        this.inputEstimate(request),
      );
    }
    const message = isRecord(choice.message) ? choice.message : {};
    const text = typeof message.content === "string" ? message.content : "";
    const finishReason = typeof choice.finish_reason === "string" ? choice.finish_reason : "unknown";
    return this.reply(request, text, finishReason, isRecord(response) ? response.usage : undefined);
  }

  /** Reads a whole body, giving up when it goes silent for `timeoutMs`. */
  private async readBody(http: Response, request: CompletionRequest): Promise<string> {
    if (!http.body) return "";
    const reader = http.body.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        // Cancelling ends the pending read with `done`, and closes the socket.
        reader.cancel().catch(() => {});
      }, this.timeoutMs);
    };
    try {
      for (;;) {
        arm();
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } finally {
      clearTimeout(timer);
    }
    if (stalled) {
      throw new AttemptFailure(
        "cut",
        `reply body stalled: nothing for ${this.timeoutMs} ms after ${text.length} chars`,
        true,
        this.inputEstimate(request),
      );
    }
    return text + decoder.decode();
  }

  private async streamOnce(request: CompletionRequest): Promise<Reply> {
    const stream = await this.sdk.chat.completions.create(
      { ...this.params(request), stream: true, stream_options: { include_usage: true } },
      request.signal ? { signal: request.signal } : undefined,
    );
    let text = "";
    let finishReason: string | undefined;
    let usage: unknown;
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        stream.controller.abort();
      }, this.timeoutMs);
    };
    try {
      arm();
      for await (const chunk of stream) {
        arm();
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices?.[0];
        const piece = choice?.delta?.content;
        if (typeof piece === "string") text += piece;
        if (choice?.finish_reason) finishReason = choice.finish_reason;
      }
    } catch (error) {
      const failure = this.classify(error, request);
      // The provider had started generating, so this attempt was billed.
      throw new AttemptFailure(
        failure.kind,
        failure.message,
        failure.retryable,
        this.partialEstimate(request, text),
        failure.status,
        failure.cause,
      );
    } finally {
      clearTimeout(timer);
    }
    if (request.signal?.aborted) {
      throw new AttemptFailure(
        "aborted",
        "aborted by the caller",
        false,
        this.partialEstimate(request, text),
      );
    }
    // The SDK ends the iteration quietly both on [DONE] and on a body that just
    // stops (and on our abort), so a missing finish_reason is the only sign of a cut.
    if (finishReason === undefined) {
      throw new AttemptFailure(
        "cut",
        stalled
          ? `stream stalled: no chunk for ${this.timeoutMs} ms after ${text.length} chars`
          : `stream ended before the model finished, after ${text.length} chars`,
        true,
        this.partialEstimate(request, text),
      );
    }
    return this.reply(request, text, finishReason, usage);
  }

  private reply(request: CompletionRequest, text: string, finishReason: string, usage: unknown): Reply {
    const input = isRecord(usage) ? usage.prompt_tokens : undefined;
    const output = isRecord(usage) ? usage.completion_tokens : undefined;
    if (typeof input === "number" && typeof output === "number") {
      const details =
        isRecord(usage) && isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
      const cached = typeof details.cached_tokens === "number" ? details.cached_tokens : 0;
      return {
        text,
        finishReason,
        tokens: { inputTokens: input, outputTokens: output, cachedInputTokens: cached },
        estimated: false,
      };
    }
    return { text, finishReason, tokens: this.partialEstimate(request, text), estimated: true };
  }

  private inputEstimate(request: CompletionRequest): TokenCounts {
    return { inputTokens: estimateTokens(promptChars(request.messages)), outputTokens: 0 };
  }

  private partialEstimate(request: CompletionRequest, text: string): TokenCounts {
    return {
      inputTokens: estimateTokens(promptChars(request.messages)),
      outputTokens: estimateTokens(text.length),
    };
  }

  /** Maps anything thrown by one attempt (or by p-retry) onto a failure kind. */
  private classify(error: unknown, request: CompletionRequest): AttemptFailure {
    if (error instanceof AttemptFailure) return error;
    if (request.signal?.aborted || error instanceof APIUserAbortError) {
      return new AttemptFailure("aborted", "aborted by the caller", false, undefined, undefined, error);
    }
    // The SDK has already retried everything below up to maxRetries times.
    if (error instanceof APIConnectionTimeoutError) {
      return new AttemptFailure(
        "timeout",
        `no reply within ${this.timeoutMs} ms`,
        false,
        undefined,
        undefined,
        error,
      );
    }
    if (error instanceof APIConnectionError) {
      return new AttemptFailure("connection", error.message, false, undefined, undefined, error);
    }
    if (error instanceof APIError) {
      const status = error.status;
      if (status === undefined) {
        // An error event inside a 200 stream: the SDK only retries before the body starts.
        return new AttemptFailure(
          "server",
          `error inside the reply: ${error.message}`,
          true,
          undefined,
          undefined,
          error,
        );
      }
      const kind: LlmErrorKind =
        status === 429
          ? "rate_limit"
          : status === 401 || status === 403
            ? "auth"
            : status === 408
              ? "timeout"
              : status === 409 || status >= 500
                ? "server"
                : "bad_request";
      return new AttemptFailure(kind, error.message, false, undefined, status, error);
    }
    const message = error instanceof Error ? error.message : String(error);
    // A 200 reply whose body is not JSON (SyntaxError from the SDK's parser).
    if (error instanceof SyntaxError || error instanceof OpenAIError) {
      return new AttemptFailure(
        "bad_response",
        `unreadable reply: ${message}`,
        true,
        this.inputEstimate(request),
        undefined,
        error,
      );
    }
    // What is left is the body stream failing after a 200 (undici's "terminated").
    return new AttemptFailure(
      "cut",
      `reply cut off: ${message}`,
      true,
      this.inputEstimate(request),
      undefined,
      error,
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function preview(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
