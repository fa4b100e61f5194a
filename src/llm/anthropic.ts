import type { Anthropic, ClientOptions } from "@anthropic-ai/sdk";
import {
  AttemptFailure,
  classifyStainless,
  completeWithRetries,
  idleWatch,
  inputEstimate,
  isRecord,
  missingKeyError,
  num,
  partialEstimate,
  preview,
  type ResolvedTransport,
  type Reply,
  readBody,
  resolveApiKey,
  resolveTransport,
  type StainlessErrors,
  type TransportOptions,
} from "./attempts.ts";
import type { Completion, CompletionRequest, LlmClient } from "./client.ts";
import { type Price, priceFor, type TokenCounts } from "./pricing.ts";
import { formatModelSpec, type ModelSpec, parseModelSpec } from "./spec.ts";

export interface AnthropicClientOptions extends TransportOptions {
  /** `anthropic:<name>`, e.g. `anthropic:claude-sonnet-4-5`. */
  model: string;
  /** The server root (the SDK appends `/v1/messages`); default `ANTHROPIC_BASE_URL`, else Anthropic's API. */
  baseUrl?: string;
  /** Defaults to `ANTHROPIC_API_KEY` (or the variable `apiKeyEnv` names). */
  apiKey?: string;
  apiKeyEnv?: string;
  /** Stream the reply (SSE). Default false. */
  stream?: boolean;
  /** Overrides the built-in price table. */
  price?: Price;
  /** Where `ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL` and `ANTHROPIC_LOG` are read; default `process.env`. */
  env?: Record<string, string | undefined>;
}

/**
 * The Messages API requires a token limit. 8,192 is within every current
 * Claude model's output limit and holds a full rewrite of a long program.
 */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 8192;

/** Anthropic's stop reasons in our terms: "length" for a reply cut by the token limit. */
function finish(stopReason: unknown): string {
  if (stopReason === "end_turn" || stopReason === "stop_sequence") return "stop";
  if (stopReason === "max_tokens") return "length";
  return typeof stopReason === "string" ? stopReason : "unknown";
}

/** Anthropic's usage: input_tokens leaves out cache reads and writes, which are billed as input too. */
function tokensOf(usage: Record<string, unknown>): TokenCounts | undefined {
  const input = num(usage.input_tokens);
  const output = num(usage.output_tokens);
  if (input === undefined || output === undefined) return undefined;
  const read = num(usage.cache_read_input_tokens) ?? 0;
  const written = num(usage.cache_creation_input_tokens) ?? 0;
  return { inputTokens: input + read + written, outputTokens: output, cachedInputTokens: read };
}

/** Claude through Anthropic's official SDK (Messages API). */
export class AnthropicClient implements LlmClient {
  readonly model: string;
  readonly price: Price | undefined;
  readonly transport: ResolvedTransport;
  readonly defaultMaxTokens = ANTHROPIC_DEFAULT_MAX_TOKENS;
  private readonly spec: ModelSpec;
  private readonly sdkOptions: ClientOptions;
  private loaded: Promise<Anthropic> | undefined;
  private errors: StainlessErrors | undefined;
  private readonly stream: boolean;

  constructor(options: AnthropicClientOptions) {
    this.spec = parseModelSpec(options.model);
    if (this.spec.provider !== "anthropic") {
      throw new Error(`AnthropicClient: model "${options.model}" is not an "anthropic:" model`);
    }
    this.model = formatModelSpec(this.spec);
    const env = options.env ?? process.env;
    const variables = [options.apiKeyEnv ?? "ANTHROPIC_API_KEY"];
    const apiKey = resolveApiKey(options, env, variables);
    if (!apiKey) throw missingKeyError(this.model, variables);
    this.transport = resolveTransport(this.model, options);
    this.stream = options.stream ?? false;
    this.price = priceFor(this.spec, options.price);
    this.sdkOptions = {
      apiKey,
      baseURL: options.baseUrl ?? (env.ANTHROPIC_BASE_URL || "https://api.anthropic.com"),
      timeout: this.transport.timeoutMs,
      maxRetries: this.transport.maxRetries,
      openTelemetry: false,
      ...(env.ANTHROPIC_LOG ? {} : { logLevel: "off" as const }),
    };
  }

  /** The SDK, loaded on the first request: a run loads only the SDKs of the providers it calls. */
  private sdk(): Promise<Anthropic> {
    this.loaded ??= import("@anthropic-ai/sdk").then((m) => {
      this.errors = {
        APIUserAbortError: m.APIUserAbortError,
        APIConnectionTimeoutError: m.APIConnectionTimeoutError,
        APIConnectionError: m.APIConnectionError,
        APIError: m.APIError,
        SdkError: m.AnthropicError,
      };
      return new m.Anthropic(this.sdkOptions);
    });
    return this.loaded;
  }

  complete(request: CompletionRequest): Promise<Completion> {
    return completeWithRetries(this, request);
  }

  attempt(request: CompletionRequest): Promise<Reply> {
    return this.stream ? this.streamOnce(request) : this.completeOnce(request);
  }

  classify(error: unknown, request: CompletionRequest): AttemptFailure {
    return classifyStainless(error, request, this.errors, this.transport.timeoutMs);
  }

  /** System messages go to the top-level `system`; Claude takes no seed. */
  private params(request: CompletionRequest) {
    const system = request.messages
      .filter((m) => m.role === "system")
      .map((m) => m.content)
      .join("\n\n");
    return {
      model: this.spec.name,
      max_tokens: request.maxTokens ?? this.defaultMaxTokens,
      ...(system ? { system } : {}),
      messages: request.messages
        .filter((m) => m.role !== "system")
        .map((m) => ({ role: m.role as "user" | "assistant", content: m.content })),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    };
  }

  private async completeOnce(request: CompletionRequest): Promise<Reply> {
    // The raw response, so that a body that stalls after its headers is cut by our idle timeout.
    const sdk = await this.sdk();
    const http = await sdk.messages
      .create(
        { ...this.params(request), stream: false },
        request.signal ? { signal: request.signal } : undefined,
      )
      .asResponse();
    const raw = await readBody(http, this.transport.timeoutMs, request);
    let response: unknown;
    try {
      response = JSON.parse(raw);
    } catch {
      throw new AttemptFailure(
        "bad_response",
        `reply is not JSON: ${preview(raw)}`,
        true,
        inputEstimate(request),
      );
    }
    if (!isRecord(response) || !Array.isArray(response.content)) {
      throw new AttemptFailure(
        "bad_response",
        `reply is not a message: ${preview(raw)}`,
        true,
        inputEstimate(request),
      );
    }
    const text = response.content
      .map((block: unknown) =>
        isRecord(block) && block.type === "text" && typeof block.text === "string" ? block.text : "",
      )
      .join("");
    const tokens = isRecord(response.usage) ? tokensOf(response.usage) : undefined;
    return tokens
      ? { text, finishReason: finish(response.stop_reason), tokens, estimated: false }
      : {
          text,
          finishReason: finish(response.stop_reason),
          tokens: partialEstimate(request, text),
          estimated: true,
        };
  }

  private async streamOnce(request: CompletionRequest): Promise<Reply> {
    const sdk = await this.sdk();
    const stream = await sdk.messages.create(
      { ...this.params(request), stream: true },
      request.signal ? { signal: request.signal } : undefined,
    );
    let text = "";
    let stopReason: unknown;
    let stopped = false;
    let tokens: TokenCounts | undefined;
    const watch = idleWatch(this.transport.timeoutMs, () => stream.controller.abort());
    try {
      watch.arm();
      for await (const event of stream) {
        watch.arm();
        switch (event.type) {
          case "message_start":
            tokens = tokensOf(event.message.usage as unknown as Record<string, unknown>);
            break;
          case "content_block_delta":
            if (event.delta.type === "text_delta") text += event.delta.text;
            break;
          case "message_delta": {
            stopReason = event.delta.stop_reason;
            // The final count of output tokens; the input count came with message_start.
            const output = num((event.usage as unknown as Record<string, unknown>).output_tokens);
            if (tokens && output !== undefined) tokens = { ...tokens, outputTokens: output };
            break;
          }
          case "message_stop":
            stopped = true;
            break;
        }
      }
    } catch (error) {
      const failure = this.classify(error, request);
      // The model had started, so this attempt was billed.
      throw new AttemptFailure(
        failure.kind,
        failure.message,
        failure.retryable,
        partialEstimate(request, text),
        failure.status,
        failure.cause,
      );
    } finally {
      watch.clear();
    }
    if (request.signal?.aborted) {
      throw new AttemptFailure("aborted", "aborted by the caller", false, partialEstimate(request, text));
    }
    // The SDK ends the iteration quietly when the body just stops (and on our abort).
    if (!stopped || stopReason == null) {
      throw new AttemptFailure(
        "cut",
        watch.fired
          ? `stream stalled: no event for ${this.transport.timeoutMs} ms after ${text.length} chars`
          : `stream ended before the model finished, after ${text.length} chars`,
        true,
        partialEstimate(request, text),
      );
    }
    return tokens
      ? { text, finishReason: finish(stopReason), tokens, estimated: false }
      : { text, finishReason: finish(stopReason), tokens: partialEstimate(request, text), estimated: true };
  }
}
