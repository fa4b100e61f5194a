import type {
  GenerateContentParameters,
  GenerateContentResponse,
  GoogleGenAI,
  GoogleGenAIOptions,
} from "@google/genai";
import {
  AttemptFailure,
  aborted,
  inputEstimate,
  isRecord,
  missingKeyError,
  num,
  type Reply,
  resolveApiKey,
  retryAfterMs,
  statusFailure,
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

/** No reply headers within the timeout. */
class HeadersTimeout extends Error {}
/** The connection failed. */
class ConnectionFailed extends Error {}
/** A body that went silent for longer than the timeout after its headers. */
class BodyStalled extends Error {}
/** An HTTP error reply, read by our fetch (the SDK's own error would lose its headers, and with them Retry-After). */
class StatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }
}

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
 * Gemini through Google's official SDK, with the SDK's retries off (its
 * default): our retry layer makes every attempt. The SDK's timeout does not
 * stop a body that stalls, so the client hands the SDK a fetch with a timeout
 * until the headers and an idle timeout on the body, which reads an error
 * reply's status and the wait it asks for (Retry-After, Google's RetryInfo).
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
      throw new AttemptFailure({
        kind: "bad_response",
        message: "reply has no candidates",
        retry: "reply",
        billed: tokensOf(response.usageMetadata) ?? inputEstimate(request),
      });
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
    if (request.signal?.aborted) return aborted(error);
    if (error instanceof HeadersTimeout) return timedOut(this.transport.timeoutMs, error);
    if (error instanceof ConnectionFailed) {
      return new AttemptFailure({ kind: "connection", message, retry: "transport", cause: error });
    }
    if (error instanceof StatusError) return statusFailure(error.status, message, error.retryAfterMs, error);
    if (error instanceof BodyStalled) {
      return new AttemptFailure({
        kind: "cut",
        message,
        retry: "reply",
        billed: inputEstimate(request),
        cause: error,
      });
    }
    // The SDK's ApiError: an error reported inside a 200 stream.
    if (
      error instanceof Error &&
      error.name === "ApiError" &&
      typeof (error as { status?: unknown }).status === "number"
    ) {
      const status = (error as unknown as { status: number }).status;
      return new AttemptFailure({ kind: statusKind(status), message, retry: "reply", status, cause: error });
    }
    return unreadableOrCut(
      error,
      request,
      error instanceof SyntaxError || /exception parsing stream chunk|Incomplete JSON segment/.test(message),
    );
  }

  /** The SDK's fetch, one HTTP attempt: a headers timeout, an idle timeout on the body, error replies read. */
  private async fetch(url: string | URL | Request, init?: RequestInit): Promise<Response> {
    const { timeoutMs } = this.transport;
    const caller = init?.signal ?? null;
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
      if (timedOut) throw new HeadersTimeout(`no reply headers within ${timeoutMs} ms`, { cause: error });
      throw new ConnectionFailed(error instanceof Error ? error.message : String(error), { cause: error });
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) {
      caller?.removeEventListener("abort", onAbort);
      const body = await response.text().catch(() => "");
      throw new StatusError(
        response.status,
        `${response.status} ${body}`,
        retryAfterMs(response.headers, body),
      );
    }
    return withIdleTimeout(response, timeoutMs, () => caller?.removeEventListener("abort", onAbort));
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
