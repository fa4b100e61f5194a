import type {
  GenerateContentParameters,
  GenerateContentResponse,
  GoogleGenAI,
  GoogleGenAIOptions,
} from "@google/genai";
import {
  AttemptFailure,
  inputEstimate,
  isRecord,
  missingKeyError,
  num,
  type Reply,
  resolveApiKey,
  statusKind,
  timedOut,
  unreadableOrCut,
} from "./attempts.ts";
import type { CompletionRequest } from "./client.ts";
import type { TokenCounts } from "./pricing.ts";
import { ProviderClient, type ProviderOptions, readStream, replyOf, systemText } from "./exchange.ts";

/**
 * `model` is `gemini:<name>`; `baseUrl` the server root (the SDK appends
 * `/v1beta/models/…`), default Google's Gemini API; the key defaults to
 * `GEMINI_API_KEY`, else `GOOGLE_API_KEY`; `stream` uses `streamGenerateContent`.
 */
export type GeminiClientOptions = ProviderOptions;

const KEY_VARIABLES = ["GEMINI_API_KEY", "GOOGLE_API_KEY"] as const;

/** Statuses worth another try: the same set the other SDKs retry. */
const RETRY_STATUSES = new Set([408, 409, 429, 500, 502, 503, 504]);
const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 8000;

/** No reply headers within the timeout, after every transport retry. */
class HeadersTimeout extends Error {}
/** The connection failed, after every transport retry. */
class ConnectionFailed extends Error {}
/** A body that went silent for longer than the timeout after its headers. */
class BodyStalled extends Error {}

/** Gemini's finish reasons in our terms: "stop", "length", else the reason in lower case. */
function finish(reason: unknown): string {
  if (reason === "STOP") return "stop";
  if (reason === "MAX_TOKENS") return "length";
  return typeof reason === "string" ? reason.toLowerCase() : "unknown";
}

/** Gemini bills thinking tokens as output; cached tokens are part of the prompt count. */
function tokensOf(usage: unknown): TokenCounts | undefined {
  if (!isRecord(usage)) return undefined;
  const input = num(usage.promptTokenCount);
  if (input === undefined) return undefined;
  return {
    inputTokens: input + (num(usage.toolUsePromptTokenCount) ?? 0),
    outputTokens: (num(usage.candidatesTokenCount) ?? 0) + (num(usage.thoughtsTokenCount) ?? 0),
    cachedInputTokens: num(usage.cachedContentTokenCount) ?? 0,
  };
}

/** The visible text of a response's first candidate (thought parts left out). */
function textOf(response: GenerateContentResponse): string {
  const parts = response.candidates?.[0]?.content?.parts ?? [];
  return parts.map((p) => (typeof p.text === "string" && !p.thought ? p.text : "")).join("");
}

/**
 * How long the server asks us to wait: `retry-after-ms`, `Retry-After`
 * (seconds or a date), or the RetryInfo of a Google error body ("24s").
 */
function retryDelayMs(headers: Headers, body: string): number | undefined {
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const after = headers.get("retry-after");
  if (after) {
    const seconds = Number.parseFloat(after);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  const info = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(body);
  return info ? Number.parseFloat(info[1]!) * 1000 : undefined;
}

function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve) => {
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
 * Gemini through Google's official SDK. The SDK's own retries neither honour
 * Retry-After nor stop a body that stalls, so the client hands the SDK a
 * fetch that does both: transport retries with exponential backoff and
 * jitter that honour Retry-After and Google's RetryInfo, a timeout until the
 * headers, and an idle timeout on the body.
 */
export class GeminiClient extends ProviderClient {
  private readonly sdkOptions: GoogleGenAIOptions;
  private loaded: Promise<GoogleGenAI> | undefined;

  constructor(options: GeminiClientOptions) {
    super(options, "gemini", "GeminiClient");
    const variables = options.apiKeyEnv ? [options.apiKeyEnv] : KEY_VARIABLES;
    const apiKey = resolveApiKey(options, this.env, variables);
    if (!apiKey) throw missingKeyError(this.model, variables);
    this.sdkOptions = {
      apiKey,
      // Never Vertex, whatever GOOGLE_GENAI_USE_VERTEXAI says.
      vertexai: false,
      httpOptions: {
        ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
        fetch: (url, init) => this.fetch(url, init),
      },
    };
  }

  /** The SDK, loaded on the first request: a run loads only the SDKs of the providers it calls. */
  private sdk(): Promise<GoogleGenAI> {
    this.loaded ??= import("@google/genai").then((m) => new m.GoogleGenAI(this.sdkOptions));
    return this.loaded;
  }

  private params(request: CompletionRequest): GenerateContentParameters {
    const system = systemText(request);
    return {
      model: this.spec.name,
      contents: request.messages
        .filter((m) => m.role !== "system")
        .map((m) => ({ role: m.role === "assistant" ? "model" : "user", parts: [{ text: m.content }] })),
      config: {
        ...(system ? { systemInstruction: system } : {}),
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
        ...(request.maxTokens === undefined ? {} : { maxOutputTokens: request.maxTokens }),
        ...(request.seed === undefined ? {} : { seed: request.seed }),
        ...(request.signal ? { abortSignal: request.signal } : {}),
      },
    };
  }

  protected async completeOnce(request: CompletionRequest): Promise<Reply> {
    const response = await (await this.sdk()).models.generateContent(this.params(request));
    const candidate = response.candidates?.[0];
    if (!candidate) {
      // A prompt the safety filters block comes back with no candidate and a reason.
      const blocked = response.promptFeedback?.blockReason;
      if (blocked) {
        return replyOf(
          request,
          "",
          `blocked_${String(blocked).toLowerCase()}`,
          tokensOf(response.usageMetadata),
        );
      }
      throw new AttemptFailure("bad_response", "reply has no candidates", true, inputEstimate(request));
    }
    return replyOf(
      request,
      textOf(response),
      finish(candidate.finishReason),
      tokensOf(response.usageMetadata),
    );
  }

  protected async streamOnce(request: CompletionRequest): Promise<Reply> {
    const stream = await (await this.sdk()).models.generateContentStream(this.params(request));
    let reason: unknown;
    let usage: unknown;
    // No idle watch here: this client's fetch cuts a silent body itself (BodyStalled).
    const text = await readStream(stream, {
      request,
      classify: (error, r) => this.classify(error, r),
      // An error reported inside a 200 stream was never seen by the transport retries.
      retryable: (f) => f.retryable || (f.status !== undefined && f.kind !== "aborted"),
      onItem: (chunk) => {
        const candidate = chunk.candidates?.[0];
        if (candidate?.finishReason) reason = candidate.finishReason;
        if (chunk.usageMetadata) usage = chunk.usageMetadata;
        return textOf(chunk);
      },
      finished: () => reason !== undefined,
    });
    return replyOf(request, text, finish(reason), tokensOf(usage));
  }

  classify(error: unknown, request: CompletionRequest): AttemptFailure {
    if (error instanceof AttemptFailure) return error;
    const message = error instanceof Error ? error.message : String(error);
    if (request.signal?.aborted) {
      return new AttemptFailure("aborted", "aborted by the caller", false, undefined, undefined, error);
    }
    const { timeoutMs } = this.transport;
    if (error instanceof HeadersTimeout) {
      return timedOut(timeoutMs, error);
    }
    if (error instanceof ConnectionFailed) {
      return new AttemptFailure("connection", message, false, undefined, undefined, error);
    }
    if (error instanceof BodyStalled) {
      return new AttemptFailure("cut", message, true, inputEstimate(request), undefined, error);
    }
    // The SDK's ApiError: an HTTP error our fetch already retried (or one inside a stream).
    if (
      error instanceof Error &&
      error.name === "ApiError" &&
      typeof (error as { status?: unknown }).status === "number"
    ) {
      const status = (error as unknown as { status: number }).status;
      return new AttemptFailure(statusKind(status), message, false, undefined, status, error);
    }
    return unreadableOrCut(
      error,
      request,
      error instanceof SyntaxError || /exception parsing stream chunk|Incomplete JSON segment/.test(message),
    );
  }

  /** The SDK's fetch: transport retries, a headers timeout and an idle timeout on the body. */
  private async fetch(url: string | URL | Request, init?: RequestInit): Promise<Response> {
    const { timeoutMs, maxRetries } = this.transport;
    const caller = init?.signal ?? null;
    for (let retry = 0; ; retry++) {
      const attempt = new AbortController();
      const onAbort = () => attempt.abort(caller?.reason);
      caller?.addEventListener("abort", onAbort, { once: true });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        attempt.abort();
      }, timeoutMs);
      let response: Response;
      try {
        response = await globalThis.fetch(url, { ...init, signal: attempt.signal });
      } catch (error) {
        caller?.removeEventListener("abort", onAbort);
        if (caller?.aborted) throw error;
        if (retry < maxRetries) {
          await sleep(this.backoff(retry), caller);
          continue;
        }
        if (timedOut) throw new HeadersTimeout(`no reply headers within ${timeoutMs} ms`, { cause: error });
        throw new ConnectionFailed(error instanceof Error ? error.message : String(error), { cause: error });
      } finally {
        clearTimeout(timer);
      }
      if (!response.ok && RETRY_STATUSES.has(response.status) && retry < maxRetries && !caller?.aborted) {
        caller?.removeEventListener("abort", onAbort);
        const body = await response.text().catch(() => "");
        await sleep(retryDelayMs(response.headers, body) ?? this.backoff(retry), caller);
        continue;
      }
      return withIdleTimeout(response, timeoutMs, () => caller?.removeEventListener("abort", onAbort));
    }
  }

  /** Exponential backoff with up to 25% jitter, as the other SDKs do. */
  private backoff(retry: number): number {
    return Math.min(BACKOFF_START_MS * 2 ** retry, BACKOFF_MAX_MS) * (1 - Math.random() * 0.25);
  }
}

/** The response with a body that errors with BodyStalled after `ms` of silence. */
function withIdleTimeout(response: Response, ms: number, onEnd: () => void): Response {
  const source = response.body;
  if (!source) {
    onEnd();
    return response;
  }
  const reader = source.getReader();
  let timer: NodeJS.Timeout | undefined;
  let stalled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      timer = setTimeout(() => {
        stalled = true;
        // Ends the pending read with `done`, and closes the socket.
        reader.cancel().catch(() => {});
      }, ms);
      try {
        const { done, value } = await reader.read();
        clearTimeout(timer);
        if (stalled) {
          onEnd();
          controller.error(new BodyStalled(`reply body stalled: nothing for ${ms} ms`));
        } else if (done) {
          onEnd();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        clearTimeout(timer);
        onEnd();
        controller.error(error);
      }
    },
    cancel(reason) {
      clearTimeout(timer);
      onEnd();
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
