/**
 * A loopback model server for tests that speaks three wire formats: OpenAI
 * chat completions, Anthropic Messages and Gemini generateContent, each
 * streamed (SSE) and not. Scripted replies and faults go over real HTTP, so
 * the official SDKs' retries, SSE parsing and timeouts run exactly as they
 * would against a provider.
 *
 *   const llm = await startMockLlm({ responder: (body) => makeReply(promptOf(body)) });
 *   const client = createClient({ model: "openai:mock", baseUrl: llm.url });
 *   const claude = createClient({ model: "anthropic:mock", baseUrl: llm.urls.anthropic, apiKey: "k" });
 *   llm.enqueue({ fault: "429", retryAfterSeconds: 0 }, { text: "hello" });
 *   ...
 *   await llm.close();
 *
 * One queue and one responder serve all three formats; every request is
 * recorded in `requests` in a common shape (messages with the system prompt
 * first), with the format in `api` and the body as sent in `raw`.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface MockReply {
  text: string;
  /** "stop" (default), "length" (cut by the token limit) or any other reason; mapped to each format's name. */
  finishReason?: string;
  /** Default: prompt ≈ chars/4 of the messages, completion ≈ chars/4 of the text. "none" omits usage. */
  usage?: { promptTokens: number; completionTokens: number; cachedTokens?: number } | "none";
  /** Wait this long before answering (e.g. to hold several requests in flight at once). */
  delayMs?: number;
}

export type MockFault =
  /** 429 with a Retry-After header (seconds; 0 lets a test retry at once), or retry-after-ms. Gemini also gets a RetryInfo. */
  | { fault: "429"; retryAfterSeconds?: number; retryAfterMs?: number }
  /** A 5xx (default 500); retry-after-ms only when given, else the client backs off on its own. */
  | { fault: "500"; status?: number; retryAfterMs?: number }
  /** Accepts the request and never answers; after `ms` (when given) drops the connection. */
  | { fault: "timeout"; ms?: number }
  /** 200 and part of the body (a first SSE event, or half a JSON object), then the socket is destroyed. */
  | { fault: "cut" }
  /** 200 and part of the body, then silence with the socket open (until the client gives up or `ms`). */
  | { fault: "stall"; ms?: number }
  /**
   * 200 with a body that is not JSON (non-stream) or an SSE event whose data is
   * not JSON (stream). With `usage` (non-stream): a JSON body that is no
   * completion but reports the usage, as a provider that billed it would.
   */
  | { fault: "garbage"; usage?: { promptTokens: number; completionTokens: number } };

export type MockStep = MockReply | MockFault;

/**
 * The client timeout for tests whose fault must be cut by a timeout while the
 * retried attempt must not be: long enough that a loaded machine (load 20+ on
 * two cores) answers a loopback request well within it.
 */
export const FAULT_TIMEOUT_MS = 1000;

export type MockApi = "openai" | "anthropic" | "gemini";

/**
 * A request as the mock saw it. For OpenAI it is the JSON body as sent; for
 * the other formats the common fields are filled from theirs (the system
 * prompt becomes the first message, Gemini's "model" role becomes
 * "assistant", token limits appear as `max_tokens`).
 */
export interface ChatRequestBody {
  model: string;
  messages: Array<{ role: string; content: unknown }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  seed?: number;
  /** Which wire format the request came in. */
  api?: MockApi;
  /** The body as sent, for format-specific checks. */
  raw?: unknown;
  [key: string]: unknown;
}

/** Decides a reply when the queue is empty. It sees the whole request, so it can answer the prompt. */
export type MockResponder = (body: ChatRequestBody) => string | MockStep | Promise<string | MockStep>;

export interface MockLlmOptions {
  responder?: MockResponder;
  /** The reply when there is no responder and the queue is empty. */
  defaultText?: string;
  /** Ids listed by GET /v1/models. */
  models?: string[];
  /** Characters per streamed content chunk. Default 16. */
  chunkChars?: number;
}

export interface MockLlm {
  /** OpenAI base URL, including `/v1`. */
  url: string;
  /** The `baseUrl` to give each provider's client. */
  urls: Record<MockApi, string>;
  /** Every model request received, in order, faults included. */
  requests: ChatRequestBody[];
  /** The headers of each entry of `requests`. */
  headers: IncomingHttpHeaders[];
  /** Scripts the next replies, consumed one per request before the responder is asked. */
  enqueue(...steps: MockStep[]): void;
  setDefault(responder: MockResponder): void;
  /** Steps still queued. */
  pending(): number;
  /** Resolves once `count` model requests in all have arrived (an event to wait on instead of a sleep). */
  received(count: number): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_MOCK_TEXT = "mock reply";

/** All message contents of a request joined, the usual input to a responder. */
export function promptOf(body: ChatRequestBody): string {
  return body.messages.map((m) => contentText(m.content)).join("\n\n");
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === "object" && "text" in part ? String(part.text) : ""))
      .join("");
  }
  return "";
}

function tokens(chars: number): number {
  return Math.ceil(chars / 4);
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);

/** Anthropic's body in the common shape. */
function fromAnthropic(raw: Rec): ChatRequestBody {
  if (!Array.isArray(raw.messages)) throw new Error("messages: must be an array");
  if (typeof raw.max_tokens !== "number") throw new Error("max_tokens: required");
  const system =
    typeof raw.system === "string" ? raw.system : Array.isArray(raw.system) ? contentText(raw.system) : "";
  const messages = (raw.messages as Rec[]).map((m) => ({ role: String(m.role), content: m.content }));
  return {
    model: String(raw.model),
    messages: system ? [{ role: "system", content: system }, ...messages] : messages,
    stream: raw.stream === true,
    ...(typeof raw.temperature === "number" ? { temperature: raw.temperature } : {}),
    max_tokens: raw.max_tokens,
    api: "anthropic",
    raw,
  };
}

/** Gemini's body in the common shape; the model and streaming come from the URL. */
function fromGemini(raw: Rec, model: string, stream: boolean): ChatRequestBody {
  if (!Array.isArray(raw.contents)) throw new Error("contents: must be an array");
  const parts = (c: unknown) =>
    isRec(c) && Array.isArray(c.parts)
      ? (c.parts as Rec[]).map((p) => (typeof p.text === "string" ? p.text : "")).join("")
      : "";
  const system = raw.systemInstruction ? parts(raw.systemInstruction) : "";
  const messages = (raw.contents as Rec[]).map((c) => ({
    role: c.role === "model" ? "assistant" : String(c.role ?? "user"),
    content: parts(c),
  }));
  const config = isRec(raw.generationConfig) ? raw.generationConfig : {};
  return {
    model,
    messages: system ? [{ role: "system", content: system }, ...messages] : messages,
    stream,
    ...(typeof config.temperature === "number" ? { temperature: config.temperature } : {}),
    ...(typeof config.maxOutputTokens === "number" ? { max_tokens: config.maxOutputTokens } : {}),
    ...(typeof config.seed === "number" ? { seed: config.seed } : {}),
    api: "gemini",
    raw,
  };
}

const anthropicStop = (reason: string) =>
  reason === "stop" ? "end_turn" : reason === "length" ? "max_tokens" : reason;
const geminiFinish = (reason: string) =>
  reason === "stop" ? "STOP" : reason === "length" ? "MAX_TOKENS" : reason.toUpperCase();

export async function startMockLlm(options: MockLlmOptions = {}): Promise<MockLlm> {
  const queue: MockStep[] = [];
  const requests: ChatRequestBody[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const chunkChars = options.chunkChars ?? 16;
  let responder: MockResponder = options.responder ?? (() => options.defaultText ?? DEFAULT_MOCK_TEXT);
  let created = 1_700_000_000;
  let nextId = 0;

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
    return t;
  };
  const sleep = (ms: number) => new Promise<void>((resolve) => later(ms, resolve));

  const sendJson = (
    res: ServerResponse,
    status: number,
    body: unknown,
    extra: Record<string, string> = {},
  ) => {
    res.writeHead(status, { "content-type": "application/json", ...extra });
    res.end(JSON.stringify(body));
  };

  /** Each format's error body. */
  const apiError = (api: MockApi, status: number, message: string, retryDelaySeconds?: number) => {
    if (api === "anthropic") {
      const type =
        status === 429
          ? "rate_limit_error"
          : status === 529
            ? "overloaded_error"
            : status >= 500
              ? "api_error"
              : "invalid_request_error";
      return { type: "error", error: { type, message } };
    }
    if (api === "gemini") {
      const statusName =
        status === 429 ? "RESOURCE_EXHAUSTED" : status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT";
      return {
        error: {
          code: status,
          message,
          status: statusName,
          ...(retryDelaySeconds === undefined
            ? {}
            : {
                details: [
                  {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    retryDelay: `${retryDelaySeconds}s`,
                  },
                ],
              }),
        },
      };
    }
    const type =
      status === 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error";
    return { error: { message, type, param: null, code: null } };
  };

  const dropAfter = (req: IncomingMessage, ms: number) => {
    const t = later(ms, () => req.socket.destroy());
    req.socket.once("close", () => {
      clearTimeout(t);
      timers.delete(t);
    });
  };

  /** Writes, then destroys the socket once the bytes are flushed, so the client sees a 200 that stops. */
  const cutAfter = (res: ServerResponse, data: string) => {
    res.write(data, () => res.socket?.destroy());
  };

  const usageOf = (body: ChatRequestBody, step: MockReply) => {
    if (step.usage === "none") return undefined;
    return {
      prompt: step.usage?.promptTokens ?? tokens(promptOf(body).length),
      completion: step.usage?.completionTokens ?? tokens(step.text.length),
      cached: step.usage?.cachedTokens ?? 0,
    };
  };
  const pieces = (text: string) => {
    const out: string[] = [];
    for (let i = 0; i < text.length; i += chunkChars) out.push(text.slice(i, i + chunkChars));
    return out;
  };
  const sse = (res: ServerResponse) =>
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });

  const replyOpenAi = (res: ServerResponse, body: ChatRequestBody, step: MockReply) => {
    const id = `chatcmpl-mock-${++nextId}`;
    const stamp = created++;
    const finishReason = step.finishReason ?? "stop";
    const u = usageOf(body, step);
    const usage = u && {
      prompt_tokens: u.prompt,
      completion_tokens: u.completion,
      total_tokens: u.prompt + u.completion,
      prompt_tokens_details: { cached_tokens: u.cached },
    };
    if (!body.stream) {
      sendJson(res, 200, {
        id,
        object: "chat.completion",
        created: stamp,
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: step.text },
            finish_reason: finishReason,
            logprobs: null,
          },
        ],
        ...(usage ? { usage } : {}),
      });
      return;
    }
    const withUsage = body.stream_options?.include_usage === true;
    sse(res);
    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      `data: ${JSON.stringify({
        id,
        object: "chat.completion.chunk",
        created: stamp,
        model: body.model,
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
        ...(withUsage ? { usage: null } : {}),
      })}\n\n`;
    res.write(chunk({ role: "assistant", content: "" }, null));
    for (const piece of pieces(step.text)) res.write(chunk({ content: piece }, null));
    res.write(chunk({}, finishReason));
    if (withUsage && usage) {
      res.write(
        `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: stamp, model: body.model, choices: [], usage })}\n\n`,
      );
    }
    res.end("data: [DONE]\n\n");
  };

  const replyAnthropic = (res: ServerResponse, body: ChatRequestBody, step: MockReply) => {
    const id = `msg_mock_${++nextId}`;
    const stop = anthropicStop(step.finishReason ?? "stop");
    const u = usageOf(body, step);
    // Anthropic's input_tokens leaves out the tokens read from the cache.
    const usage = u
      ? {
          input_tokens: u.prompt - u.cached,
          output_tokens: u.completion,
          cache_read_input_tokens: u.cached,
          cache_creation_input_tokens: 0,
        }
      : { input_tokens: 0, output_tokens: 0 };
    if (!body.stream) {
      sendJson(res, 200, {
        id,
        type: "message",
        role: "assistant",
        model: body.model,
        content: step.text === "" ? [] : [{ type: "text", text: step.text }],
        stop_reason: stop,
        stop_sequence: null,
        usage,
      });
      return;
    }
    sse(res);
    const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    res.write(
      event("message_start", {
        type: "message_start",
        message: {
          id,
          type: "message",
          role: "assistant",
          model: body.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      }),
    );
    res.write(
      event("content_block_start", {
        type: "content_block_start",
        index: 0,
        content_block: { type: "text", text: "" },
      }),
    );
    res.write(event("ping", { type: "ping" }));
    for (const piece of pieces(step.text)) {
      res.write(
        event("content_block_delta", {
          type: "content_block_delta",
          index: 0,
          delta: { type: "text_delta", text: piece },
        }),
      );
    }
    res.write(event("content_block_stop", { type: "content_block_stop", index: 0 }));
    res.write(
      event("message_delta", {
        type: "message_delta",
        delta: { stop_reason: stop, stop_sequence: null },
        usage: { output_tokens: usage.output_tokens },
      }),
    );
    res.end(event("message_stop", { type: "message_stop" }));
  };

  const replyGemini = (res: ServerResponse, body: ChatRequestBody, step: MockReply) => {
    const finish = geminiFinish(step.finishReason ?? "stop");
    const u = usageOf(body, step);
    const usageMetadata = u && {
      promptTokenCount: u.prompt,
      candidatesTokenCount: u.completion,
      totalTokenCount: u.prompt + u.completion,
      ...(u.cached ? { cachedContentTokenCount: u.cached } : {}),
    };
    const response = (text: string, finishReason: string | undefined, usage: unknown) => ({
      candidates: [
        {
          content: { role: "model", parts: text === "" ? [] : [{ text }] },
          ...(finishReason ? { finishReason } : {}),
          index: 0,
        },
      ],
      ...(usage ? { usageMetadata: usage } : {}),
      modelVersion: body.model,
      responseId: `mock-${++nextId}`,
    });
    if (!body.stream) {
      sendJson(res, 200, response(step.text, finish, usageMetadata));
      return;
    }
    sse(res);
    const parts = pieces(step.text);
    if (parts.length === 0) parts.push("");
    parts.forEach((piece, i) => {
      const last = i === parts.length - 1;
      res.write(
        `data: ${JSON.stringify(response(piece, last ? finish : undefined, last ? usageMetadata : undefined))}\r\n\r\n`,
      );
    });
    res.end();
  };

  const reply = async (res: ServerResponse, body: ChatRequestBody, step: MockReply) => {
    if (step.delayMs) await sleep(step.delayMs);
    // Not req.destroyed: a request auto-destroys once its body has been read.
    if (res.destroyed || res.socket?.destroyed !== false) return;
    if (body.api === "anthropic") replyAnthropic(res, body, step);
    else if (body.api === "gemini") replyGemini(res, body, step);
    else replyOpenAi(res, body, step);
  };

  /** The start of a reply in the request's format, for cut and stalled bodies. */
  const partialBody = (body: ChatRequestBody): string => {
    const api = body.api ?? "openai";
    if (!body.stream) {
      if (api === "anthropic") return '{"id":"msg_mock_cut","type":"message","role":"assistant","cont';
      if (api === "gemini") return '{"candidates":[{"content":{"role":"model","parts":[{"te';
      return '{"id":"chatcmpl-mock-cut","object":"chat.completion","choices":[{"index":0,"mess';
    }
    if (api === "anthropic") {
      return [
        `event: message_start\ndata: ${JSON.stringify({ type: "message_start", message: { id: "msg_mock_cut", type: "message", role: "assistant", model: body.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: tokens(promptOf(body).length), output_tokens: 1 } } })}\n\n`,
        `event: content_block_start\ndata: ${JSON.stringify({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } })}\n\n`,
        `event: content_block_delta\ndata: ${JSON.stringify({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "partial rep" } })}\n\n`,
      ].join("");
    }
    if (api === "gemini") {
      return `data: ${JSON.stringify({ candidates: [{ content: { role: "model", parts: [{ text: "partial rep" }] }, index: 0 }] })}\r\n\r\n`;
    }
    const partial = {
      id: `chatcmpl-mock-${++nextId}`,
      object: "chat.completion.chunk",
      created: created++,
      model: body.model,
      choices: [{ index: 0, delta: { role: "assistant", content: "partial rep" }, finish_reason: null }],
    };
    return `data: ${JSON.stringify(partial)}\n\n`;
  };

  const fault = (req: IncomingMessage, res: ServerResponse, body: ChatRequestBody, step: MockFault) => {
    const api = body.api ?? "openai";
    switch (step.fault) {
      case "429": {
        const extra: Record<string, string> = {};
        if (step.retryAfterMs !== undefined) extra["retry-after-ms"] = String(step.retryAfterMs);
        extra["retry-after"] = String(step.retryAfterSeconds ?? 1);
        sendJson(
          res,
          429,
          apiError(api, 429, "Rate limit reached (mock)", step.retryAfterSeconds ?? 1),
          extra,
        );
        return;
      }
      case "500": {
        const status = step.status ?? 500;
        sendJson(
          res,
          status,
          apiError(api, status, "Internal server error (mock)"),
          step.retryAfterMs === undefined ? {} : { "retry-after-ms": String(step.retryAfterMs) },
        );
        return;
      }
      case "timeout": {
        if (step.ms !== undefined) dropAfter(req, step.ms);
        return;
      }
      case "cut":
      case "stall": {
        res.writeHead(200, { "content-type": body.stream ? "text/event-stream" : "application/json" });
        if (step.fault === "cut") {
          cutAfter(res, partialBody(body));
          return;
        }
        res.write(partialBody(body));
        if (step.ms !== undefined) dropAfter(req, step.ms);
        return;
      }
      case "garbage":
        if (body.stream) {
          res.writeHead(200, { "content-type": "text/event-stream" });
          if (api === "anthropic") res.end("event: message_start\ndata: {this is not json\n\n");
          else if (api === "gemini") res.end("data: {this is not json\r\n\r\n");
          else res.end("data: {this is not json\n\ndata: [DONE]\n\n");
        } else if (step.usage) {
          const { promptTokens: input, completionTokens: output } = step.usage;
          // Each format's usage, in a body that has no completion in it.
          sendJson(
            res,
            200,
            api === "anthropic"
              ? { type: "message", usage: { input_tokens: input, output_tokens: output } }
              : api === "gemini"
                ? { usageMetadata: { promptTokenCount: input, candidatesTokenCount: output } }
                : { object: "chat.completion", usage: { prompt_tokens: input, completion_tokens: output } },
          );
        } else {
          res.writeHead(200, { "content-type": "application/json" });
          res.end("<html><body>502 Bad Gateway</body></html>");
        }
        return;
    }
  };

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    api: MockApi,
    raw: string,
    path: string,
  ) => {
    let body: ChatRequestBody;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (!isRec(parsed)) throw new Error("expected a JSON object");
      if (api === "anthropic") body = fromAnthropic(parsed);
      else if (api === "gemini") {
        const m = /\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
        body = fromGemini(parsed, decodeURIComponent(m?.[1] ?? ""), m?.[2] === "streamGenerateContent");
      } else {
        if (!Array.isArray(parsed.messages)) throw new Error("messages must be an array");
        body = { ...(parsed as ChatRequestBody), api: "openai" };
      }
    } catch (error) {
      sendJson(res, 400, apiError(api, 400, `bad request body: ${(error as Error).message}`));
      return;
    }
    requests.push(body);
    headers.push(req.headers);
    for (const w of waiters.filter((w) => requests.length >= w.count)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    let step: MockStep | string;
    const queued = queue.shift();
    if (queued) {
      step = queued;
    } else {
      try {
        step = await responder(body);
      } catch (error) {
        // A 400 is not retried, so a broken responder shows up in the test as one clear error.
        sendJson(res, 400, apiError(api, 400, `mock responder threw: ${(error as Error).message}`));
        return;
      }
    }
    if (typeof step === "string") step = { text: step };
    if ("fault" in step) fault(req, res, body, step);
    else await reply(res, body, step);
  };

  const route = (method: string | undefined, path: string): MockApi | null => {
    if (method !== "POST") return null;
    if (path === "/v1/chat/completions") return "openai";
    if (path === "/v1/messages") return "anthropic";
    if (/^\/(v1beta|v1)\/models\/[^/]+:(generateContent|streamGenerateContent)$/.test(path)) return "gemini";
    return null;
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const api = route(req.method, path);
      if (api) {
        handle(req, res, api, Buffer.concat(chunks).toString("utf8"), path).catch((error: unknown) => {
          if (!res.headersSent) sendJson(res, 500, apiError(api, 500, String(error)));
          else res.destroy();
        });
        return;
      }
      if (req.method === "GET" && path === "/v1/models") {
        sendJson(res, 200, {
          object: "list",
          data: (options.models ?? ["mock"]).map((id) => ({
            id,
            object: "model",
            created: 0,
            owned_by: "mock",
          })),
        });
        return;
      }
      sendJson(res, 404, apiError("openai", 404, `no route ${req.method} ${path} on the mock`));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/v1`,
    // The Anthropic SDK appends /v1/messages, the Gemini SDK /v1beta/models/….
    urls: { openai: `${origin}/v1`, anthropic: origin, gemini: origin },
    requests,
    headers,
    enqueue: (...steps) => {
      queue.push(...steps);
    },
    setDefault: (fn) => {
      responder = fn;
    },
    pending: () => queue.length,
    received: (count) =>
      requests.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      // Hanging "timeout" requests and keep-alive sockets would otherwise hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
