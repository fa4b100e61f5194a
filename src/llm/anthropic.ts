import type { Anthropic, ClientOptions } from "@anthropic-ai/sdk";
import { isRecord, missingKeyError, num, type Reply, readBody, resolveApiKey } from "./attempts.ts";
import type { CompletionRequest } from "./client.ts";
import type { TokenCounts } from "./pricing.ts";
import {
  type ProviderOptions,
  parseReply,
  readStream,
  replyOf,
  StainlessClient,
  stainlessErrors,
  systemText,
} from "./exchange.ts";

/**
 * `model` is `anthropic:<name>`; `baseUrl` the server root (the SDK appends
 * `/v1/messages`), default `ANTHROPIC_BASE_URL`, else Anthropic's API; the key
 * defaults to `ANTHROPIC_API_KEY`; `ANTHROPIC_LOG` turns the SDK's logging on.
 */
export type AnthropicClientOptions = ProviderOptions;

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
export class AnthropicClient extends StainlessClient<Anthropic> {
  readonly defaultMaxTokens = ANTHROPIC_DEFAULT_MAX_TOKENS;
  private readonly sdkOptions: ClientOptions;

  constructor(options: AnthropicClientOptions) {
    super(options, "anthropic", "AnthropicClient");
    const env = this.env;
    const variables = [options.apiKeyEnv ?? "ANTHROPIC_API_KEY"];
    const apiKey = resolveApiKey(options, env, variables);
    if (!apiKey) throw missingKeyError(this.model, variables);
    this.sdkOptions = {
      apiKey,
      baseURL: options.baseUrl ?? (env.ANTHROPIC_BASE_URL || "https://api.anthropic.com"),
      timeout: this.transport.timeoutMs,
      // Our retry layer (attempts.ts) retries, so that every HTTP attempt is reserved and reported.
      maxRetries: 0,
      openTelemetry: false,
      ...(env.ANTHROPIC_LOG ? {} : { logLevel: "off" as const }),
    };
  }

  protected async load() {
    const m = await import("@anthropic-ai/sdk");
    return { sdk: new m.Anthropic(this.sdkOptions), errors: stainlessErrors(m, m.AnthropicError) };
  }

  /** System messages go to the top-level `system`; Claude takes no seed. */
  private params(request: CompletionRequest) {
    const system = systemText(request);
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

  protected async completeOnce(request: CompletionRequest): Promise<Reply> {
    // The raw response, so that a body that stalls after its headers is cut by our idle timeout.
    const sdk = await this.sdk();
    const http = await sdk.messages
      .create(
        { ...this.params(request), stream: false },
        request.signal ? { signal: request.signal } : undefined,
      )
      .asResponse();
    const raw = await readBody(http, this.transport.timeoutMs, request);
    const response = parseReply(
      raw,
      request,
      "a message",
      (r) => Array.isArray(r.content),
      (r) => (isRecord(r.usage) ? tokensOf(r.usage) : undefined),
    );
    const text = (response.content as unknown[])
      .map((block: unknown) =>
        isRecord(block) && block.type === "text" && typeof block.text === "string" ? block.text : "",
      )
      .join("");
    const tokens = isRecord(response.usage) ? tokensOf(response.usage) : undefined;
    return replyOf(request, text, finish(response.stop_reason), tokens);
  }

  protected async streamOnce(request: CompletionRequest): Promise<Reply> {
    const sdk = await this.sdk();
    const stream = await sdk.messages.create(
      { ...this.params(request), stream: true },
      request.signal ? { signal: request.signal } : undefined,
    );
    let stopReason: unknown;
    let stopped = false;
    let tokens: TokenCounts | undefined;
    const text = await readStream(stream, {
      request,
      classify: (error, r) => this.classify(error, r),
      idle: { timeoutMs: this.transport.timeoutMs, abort: () => stream.controller.abort(), unit: "event" },
      onItem: (event) => {
        switch (event.type) {
          case "message_start":
            tokens = tokensOf(event.message.usage as unknown as Record<string, unknown>);
            break;
          case "content_block_delta":
            if (event.delta.type === "text_delta") return event.delta.text;
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
        return "";
      },
      // The SDK ends the iteration quietly when the body just stops (and on our abort).
      finished: () => stopped && stopReason != null,
    });
    return replyOf(request, text, finish(stopReason), tokens);
  }
}
