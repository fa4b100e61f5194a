import type { ClientOptions, OpenAI } from "openai";
import { isRecord, missingKeyError, type Reply, readBody, resolveApiKey } from "./attempts.ts";
import type { CompletionRequest } from "./client.ts";
import {
  type ProviderOptions,
  parseReply,
  readStream,
  replyOf,
  StainlessClient,
  stainlessErrors,
} from "./exchange.ts";
import type { TokenCounts } from "./pricing.ts";

/**
 * `model` is `openai:<name>` (with `baseUrl`, any model name the server knows);
 * `baseUrl` an OpenAI-compatible server (vLLM, Ollama, llama.cpp, OpenRouter)
 * including its `/v1`, default `OPENAI_BASE_URL`; the key defaults to
 * `OPENAI_API_KEY` (`apiKeyEnv`: e.g. `OPENROUTER_API_KEY`); `OPENAI_LOG`
 * turns the SDK's logging on.
 */
export interface OpenAiClientOptions extends ProviderOptions {
  /** Forces the reasoning-model parameter style; by default guessed from the name. */
  reasoning?: boolean;
}

/**
 * Local servers accept any bearer token, but the SDK refuses to start without
 * one, so this stands in when a baseUrl is given and no key is set.
 */
export const PLACEHOLDER_API_KEY = "adrs-no-key";

/**
 * o-series and gpt-5 models reject `temperature` and `max_tokens`. An
 * OpenRouter-style `openai/o3` prefix is looked through.
 */
export function isReasoningModel(name: string): boolean {
  const base = name.slice(name.lastIndexOf("/") + 1).toLowerCase();
  return /^o[134](?:$|[-.])/.test(base) || base.startsWith("gpt-5");
}

export class OpenAiClient extends StainlessClient<OpenAI> {
  private readonly sdkOptions: ClientOptions;
  private readonly reasoning: boolean;

  constructor(options: OpenAiClientOptions) {
    super(options, "openai", "OpenAiClient");
    const env = this.env;
    // Read here rather than left to the SDK, so that the placeholder-key rule
    // below also covers a base URL set through the environment.
    const baseUrl = options.baseUrl ?? (env.OPENAI_BASE_URL || undefined);
    const variables = [options.apiKeyEnv ?? "OPENAI_API_KEY"];
    const apiKey =
      resolveApiKey(options, env, variables) ??
      // A key variable named on purpose must be set; the default one may be
      // missing for a local server.
      (baseUrl && !options.apiKeyEnv ? PLACEHOLDER_API_KEY : undefined);
    if (!apiKey) {
      throw missingKeyError(
        this.model,
        variables,
        options.apiKeyEnv
          ? ""
          : ", or give a baseUrl for a local OpenAI-compatible server (which needs no key)",
      );
    }
    this.reasoning = options.reasoning ?? isReasoningModel(this.spec.name);
    this.sdkOptions = {
      apiKey,
      baseURL: baseUrl ?? "https://api.openai.com/v1",
      timeout: this.transport.timeoutMs,
      // Our retry layer (attempts.ts) retries, so that every HTTP attempt is reserved and reported.
      maxRetries: 0,
      // Every failure reaches the caller as an LlmError, so the SDK's own
      // console logging (e.g. of an unparseable chunk) would only repeat it;
      // OPENAI_LOG still turns it back on for debugging.
      ...(env.OPENAI_LOG ? {} : { logLevel: "off" as const }),
    };
  }

  protected async load() {
    const m = await import("openai");
    return { sdk: new m.OpenAI(this.sdkOptions), errors: stainlessErrors(m, m.OpenAIError) };
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

  protected async completeOnce(request: CompletionRequest): Promise<Reply> {
    // The raw response rather than the SDK's parsed one: the SDK's timeout ends
    // when the headers arrive, and a body that then stalls would hang forever.
    const sdk = await this.sdk();
    const http = await sdk.chat.completions
      .create(
        { ...this.params(request), stream: false },
        request.signal ? { signal: request.signal } : undefined,
      )
      .asResponse();
    const raw = await readBody(http, this.transport.timeoutMs, request);
    const response = parseReply(
      raw,
      request,
      "a chat completion",
      (r) => Array.isArray(r.choices) && isRecord(r.choices[0]),
      (r) => tokensOf(r.usage),
    );
    const choice = (response.choices as Record<string, unknown>[])[0] as Record<string, unknown>;
    const message = isRecord(choice.message) ? choice.message : {};
    const text = typeof message.content === "string" ? message.content : "";
    const finishReason = typeof choice.finish_reason === "string" ? choice.finish_reason : "unknown";
    return replyOf(request, text, finishReason, tokensOf(response.usage));
  }

  protected async streamOnce(request: CompletionRequest): Promise<Reply> {
    const sdk = await this.sdk();
    const stream = await sdk.chat.completions.create(
      { ...this.params(request), stream: true, stream_options: { include_usage: true } },
      request.signal ? { signal: request.signal } : undefined,
    );
    let finishReason: string | undefined;
    let usage: unknown;
    const text = await readStream(stream, {
      request,
      classify: (error, r) => this.classify(error, r),
      idle: { timeoutMs: this.transport.timeoutMs, abort: () => stream.controller.abort(), unit: "chunk" },
      onItem: (chunk) => {
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices?.[0];
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        const piece = choice?.delta?.content;
        return typeof piece === "string" ? piece : "";
      },
      // The SDK ends the iteration quietly both on [DONE] and on a body that just
      // stops (and on our abort), so a missing finish_reason is the only sign of a cut.
      finished: () => finishReason !== undefined,
    });
    return replyOf(request, text, finishReason ?? "unknown", tokensOf(usage));
  }
}

/** OpenAI's usage in our terms: cached prompt tokens are part of prompt_tokens. */
function tokensOf(usage: unknown): TokenCounts | undefined {
  if (!isRecord(usage)) return undefined;
  const input = usage.prompt_tokens;
  const output = usage.completion_tokens;
  if (typeof input !== "number" || typeof output !== "number") return undefined;
  const details = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const cached = typeof details.cached_tokens === "number" ? details.cached_tokens : 0;
  return { inputTokens: input, outputTokens: output, cachedInputTokens: cached };
}
