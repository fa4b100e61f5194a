import type { ClientOptions, OpenAI } from "openai";
import {
  AttemptFailure,
  classifyStainless,
  completeWithRetries,
  idleWatch,
  inputEstimate,
  isRecord,
  missingKeyError,
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
import { type Price, priceFor } from "./pricing.ts";
import { formatModelSpec, type ModelSpec, parseModelSpec } from "./spec.ts";

export interface OpenAiClientOptions extends TransportOptions {
  /** `openai:<name>`; with `baseUrl`, any model name the server knows. */
  model: string;
  /** An OpenAI-compatible server (vLLM, Ollama, llama.cpp, OpenRouter), including its `/v1`. */
  baseUrl?: string;
  /** Defaults to `OPENAI_API_KEY` (or the variable `apiKeyEnv` names). */
  apiKey?: string;
  /** Read the key from this environment variable instead of `OPENAI_API_KEY` (e.g. `OPENROUTER_API_KEY`). */
  apiKeyEnv?: string;
  /** Stream the reply (SSE). Default false. */
  stream?: boolean;
  /** Overrides the built-in price table. */
  price?: Price;
  /** Forces the reasoning-model parameter style; by default guessed from the name. */
  reasoning?: boolean;
  /** Where `OPENAI_API_KEY`, `OPENAI_BASE_URL` and `OPENAI_LOG` are read; default `process.env`. */
  env?: Record<string, string | undefined>;
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

export class OpenAiClient implements LlmClient {
  readonly model: string;
  readonly price: Price | undefined;
  readonly transport: ResolvedTransport;
  private readonly spec: ModelSpec;
  private readonly sdkOptions: ClientOptions;
  private loaded: Promise<OpenAI> | undefined;
  private errors: StainlessErrors | undefined;
  private readonly stream: boolean;
  private readonly reasoning: boolean;

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
    this.transport = resolveTransport(this.model, options);
    this.stream = options.stream ?? false;
    this.price = priceFor(this.spec, options.price);
    this.reasoning = options.reasoning ?? isReasoningModel(this.spec.name);
    this.sdkOptions = {
      apiKey,
      baseURL: baseUrl ?? "https://api.openai.com/v1",
      timeout: this.transport.timeoutMs,
      maxRetries: this.transport.maxRetries,
      // Every failure reaches the caller as an LlmError, so the SDK's own
      // console logging (e.g. of an unparseable chunk) would only repeat it;
      // OPENAI_LOG still turns it back on for debugging.
      ...(env.OPENAI_LOG ? {} : { logLevel: "off" as const }),
    };
  }

  /** The SDK, loaded on the first request: a run loads only the SDKs of the providers it calls. */
  private sdk(): Promise<OpenAI> {
    this.loaded ??= import("openai").then((m) => {
      this.errors = {
        APIUserAbortError: m.APIUserAbortError,
        APIConnectionTimeoutError: m.APIConnectionTimeoutError,
        APIConnectionError: m.APIConnectionError,
        APIError: m.APIError,
        SdkError: m.OpenAIError,
      };
      return new m.OpenAI(this.sdkOptions);
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
    const sdk = await this.sdk();
    const http = await sdk.chat.completions
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
    const choices = isRecord(response) && Array.isArray(response.choices) ? response.choices : undefined;
    const choice: unknown = choices?.[0];
    if (!isRecord(choice)) {
      throw new AttemptFailure(
        "bad_response",
        `reply is not a chat completion: ${preview(raw)}`,
        true,
        inputEstimate(request),
      );
    }
    const message = isRecord(choice.message) ? choice.message : {};
    const text = typeof message.content === "string" ? message.content : "";
    const finishReason = typeof choice.finish_reason === "string" ? choice.finish_reason : "unknown";
    return this.reply(request, text, finishReason, isRecord(response) ? response.usage : undefined);
  }

  private async streamOnce(request: CompletionRequest): Promise<Reply> {
    const sdk = await this.sdk();
    const stream = await sdk.chat.completions.create(
      { ...this.params(request), stream: true, stream_options: { include_usage: true } },
      request.signal ? { signal: request.signal } : undefined,
    );
    let text = "";
    let finishReason: string | undefined;
    let usage: unknown;
    const watch = idleWatch(this.transport.timeoutMs, () => stream.controller.abort());
    try {
      watch.arm();
      for await (const chunk of stream) {
        watch.arm();
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
    // The SDK ends the iteration quietly both on [DONE] and on a body that just
    // stops (and on our abort), so a missing finish_reason is the only sign of a cut.
    if (finishReason === undefined) {
      throw new AttemptFailure(
        "cut",
        watch.fired
          ? `stream stalled: no chunk for ${this.transport.timeoutMs} ms after ${text.length} chars`
          : `stream ended before the model finished, after ${text.length} chars`,
        true,
        partialEstimate(request, text),
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
    return { text, finishReason, tokens: partialEstimate(request, text), estimated: true };
  }
}
