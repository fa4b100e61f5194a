/**
 * What the Anthropic, OpenAI and Gemini clients do alike around one request:
 * the options every provider takes, parsing a whole JSON reply, reading a
 * streamed one to its end (billed if it breaks, a cut if it stops early), a
 * reply whose body could not be read, and the reply with its token counts.
 * Each client keeps only its provider's shapes.
 */
import {
  AttemptFailure,
  aborted,
  classifyStainless,
  idleWatch,
  inputEstimate,
  isRecord,
  partialEstimate,
  preview,
  type Reply,
  type ResolvedTransport,
  resolveTransport,
  type StainlessErrors,
  type TransportOptions,
} from "./attempts.ts";
import type { Completion, CompletionRequest, LlmClient } from "./client.ts";
import { completeWithRetries } from "./retries.ts";
import { type Price, priceFor, type TokenCounts } from "./pricing.ts";
import { formatModelSpec, type ModelSpec, parseModelSpec } from "./spec.ts";

/** The options every provider client takes; each client's docs say its variables and defaults. */
export interface ProviderOptions extends TransportOptions {
  /** `<provider>:<name>`, e.g. `anthropic:claude-sonnet-4-5`. */
  model: string;
  /** The server to call instead of the provider's API. */
  baseUrl?: string;
  /** Defaults to the provider's key variable (or the variable `apiKeyEnv` names). */
  apiKey?: string;
  /** Read the key from this environment variable instead of the provider's. */
  apiKeyEnv?: string;
  /** Stream the reply (SSE). Default false. */
  stream?: boolean;
  /** Overrides the built-in price table. */
  price?: Price;
  /** Where the key, base URL and log variables are read; default `process.env`. */
  env?: Record<string, string | undefined>;
}

/**
 * A model behind one provider's SDK: the model spec, transport, price and
 * streaming choice, and each attempt through the shared retry layer. A
 * provider client says how one attempt goes, whole or streamed, and how its
 * SDK's errors read.
 */
export abstract class ProviderClient implements LlmClient {
  readonly model: string;
  readonly price: Price | undefined;
  readonly transport: ResolvedTransport;
  protected readonly spec: ModelSpec;
  protected readonly stream: boolean;
  protected readonly env: Record<string, string | undefined>;

  constructor(options: ProviderOptions, provider: ModelSpec["provider"], className: string) {
    this.spec = parseModelSpec(options.model);
    if (this.spec.provider !== provider) {
      const article = /^[aeiou]/.test(provider) ? "an" : "a";
      throw new Error(`${className}: model "${options.model}" is not ${article} "${provider}:" model`);
    }
    this.model = formatModelSpec(this.spec);
    this.env = options.env ?? process.env;
    this.transport = resolveTransport(this.model, options);
    this.stream = options.stream ?? false;
    this.price = priceFor(this.spec, options.price);
  }

  complete(request: CompletionRequest): Promise<Completion> {
    return completeWithRetries(this, request);
  }

  attempt(request: CompletionRequest): Promise<Reply> {
    return this.stream ? this.streamOnce(request) : this.completeOnce(request);
  }

  abstract classify(error: unknown, request: CompletionRequest): AttemptFailure;
  protected abstract completeOnce(request: CompletionRequest): Promise<Reply>;
  protected abstract streamOnce(request: CompletionRequest): Promise<Reply>;
}

/**
 * A client over a Stainless-generated SDK (Anthropic's, OpenAI's): the SDK is
 * loaded on the first request (a run loads only the SDKs of the providers it
 * calls), and its error classes classify failures.
 */
export abstract class StainlessClient<Sdk> extends ProviderClient {
  private loaded: Promise<Sdk> | undefined;
  private errors: StainlessErrors | undefined;

  /** Imports the SDK module and builds the client with its error classes. */
  protected abstract load(): Promise<{ sdk: Sdk; errors: StainlessErrors }>;

  protected sdk(): Promise<Sdk> {
    this.loaded ??= this.load().then(({ sdk, errors }) => {
      this.errors = errors;
      return sdk;
    });
    return this.loaded;
  }

  classify(error: unknown, request: CompletionRequest): AttemptFailure {
    return classifyStainless(error, request, this.errors, this.transport.timeoutMs);
  }
}

/** The error classes of a Stainless-generated SDK (Anthropic's, OpenAI's), from its module. */
export function stainlessErrors(
  sdk: Omit<StainlessErrors, "SdkError">,
  sdkError: StainlessErrors["SdkError"],
): StainlessErrors {
  return {
    APIUserAbortError: sdk.APIUserAbortError,
    APIConnectionTimeoutError: sdk.APIConnectionTimeoutError,
    APIConnectionError: sdk.APIConnectionError,
    APIError: sdk.APIError,
    SdkError: sdkError,
  };
}

/** The system messages as one text: Anthropic and Gemini take them apart from the conversation. */
export function systemText(request: CompletionRequest): string {
  return request.messages
    .filter((m) => m.role === "system")
    .map((m) => m.content)
    .join("\n\n");
}

/** The reply, with the provider's token counts when it gave them, else an estimate. */
export function replyOf(
  request: CompletionRequest,
  text: string,
  finishReason: string,
  tokens: TokenCounts | undefined,
): Reply {
  return tokens
    ? { text, finishReason, tokens, estimated: false }
    : { text, finishReason, tokens: partialEstimate(request, text), estimated: true };
}

/**
 * A whole (not streamed) reply's body as JSON, when `accept` takes it; else a
 * `bad_response` retried as a reply, saying it is not `what` ("a message", "a
 * chat completion"), billed what its `usage` says when it has one, else the prompt.
 */
export function parseReply(
  raw: string,
  request: CompletionRequest,
  what: string,
  accept: (body: Record<string, unknown>) => boolean,
  usage?: (body: Record<string, unknown>) => TokenCounts | undefined,
): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    body = undefined;
  }
  if (!isRecord(body) || !accept(body)) {
    throw new AttemptFailure({
      kind: "bad_response",
      message: `reply is not ${body === undefined ? "JSON" : what}: ${preview(raw)}`,
      retry: "reply",
      billed: (isRecord(body) ? usage?.(body) : undefined) ?? inputEstimate(request),
    });
  }
  return body;
}

export interface StreamReading<T> {
  request: CompletionRequest;
  /** Classifies an error thrown while reading. */
  classify(error: unknown, request: CompletionRequest): AttemptFailure;
  /**
   * Silence after which the stream is aborted with `abort` (SDK timeouts end
   * with the headers); absent where the client's own fetch watches the body.
   */
  idle?: { timeoutMs: number; abort(): void; unit: string };
  /** Takes one item; returns the text it adds. */
  onItem(item: T): string;
  /** Whether the provider said it finished (a stream may just stop). */
  finished(): boolean;
}

/**
 * Reads a streamed reply to its end and returns its text. A failure while
 * reading is billed (the model had started); the caller's abort is an abort;
 * a stream that ends before the provider finished is a retryable cut.
 */
export async function readStream<T>(stream: AsyncIterable<T>, o: StreamReading<T>): Promise<string> {
  const { request } = o;
  let text = "";
  const watch = o.idle ? idleWatch(o.idle.timeoutMs, o.idle.abort) : undefined;
  try {
    watch?.arm();
    for await (const item of stream) {
      watch?.arm();
      text += o.onItem(item);
    }
  } catch (error) {
    const failure = o.classify(error, request);
    // Whatever broke it, the model had started: billed what was streamed, and retried as a reply.
    throw new AttemptFailure({
      kind: failure.kind,
      message: failure.message,
      retry: failure.retry === "none" ? "none" : "reply",
      billed: partialEstimate(request, text),
      status: failure.status,
      cause: failure.cause,
    });
  } finally {
    watch?.clear();
  }
  if (request.signal?.aborted) throw aborted(undefined, partialEstimate(request, text));
  if (!o.finished()) {
    throw new AttemptFailure({
      kind: "cut",
      message: watch?.fired
        ? `stream stalled: no ${o.idle?.unit} for ${o.idle?.timeoutMs} ms after ${text.length} chars`
        : `stream ended before the model finished, after ${text.length} chars`,
      retry: "reply",
      billed: partialEstimate(request, text),
    });
  }
  return text;
}
