/**
 * A loopback OpenAI-compatible chat server for tests: scripted replies and
 * faults over real HTTP, so the official SDK's retries, SSE parsing and
 * timeouts run exactly as they would against a provider.
 *
 *   const llm = await startMockLlm({ responder: (body) => makeReply(promptOf(body)) });
 *   const client = createClient({ model: "openai:mock", baseUrl: llm.url });
 *   llm.enqueue({ fault: "429", retryAfterSeconds: 0 }, { text: "hello" });
 *   ...
 *   await llm.close();
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface MockReply {
  text: string;
  /** Default "stop". */
  finishReason?: string;
  /** Default: prompt ≈ chars/4 of the messages, completion ≈ chars/4 of the text. "none" omits usage. */
  usage?: { promptTokens: number; completionTokens: number; cachedTokens?: number } | "none";
  /** Wait this long before answering (e.g. to hold several requests in flight at once). */
  delayMs?: number;
}

export type MockFault =
  /** 429 with a Retry-After header (seconds; 0 lets a test retry at once), or retry-after-ms. */
  | { fault: "429"; retryAfterSeconds?: number; retryAfterMs?: number }
  /** 500; retry-after-ms only when given, else the client backs off on its own. */
  | { fault: "500"; retryAfterMs?: number }
  /** Accepts the request and never answers; after `ms` (when given) drops the connection. */
  | { fault: "timeout"; ms?: number }
  /** 200 and part of the body (a first SSE chunk, or half a JSON object), then the socket is destroyed. */
  | { fault: "cut" }
  /** 200 and part of the body, then silence with the socket open (until the client gives up or `ms`). */
  | { fault: "stall"; ms?: number }
  /** 200 with a body that is not JSON (non-stream) or an SSE event whose data is not JSON (stream). */
  | { fault: "garbage" };

export type MockStep = MockReply | MockFault;

/** The JSON body of a chat completion request, as the client sent it. */
export interface ChatRequestBody {
  model: string;
  messages: Array<{ role: string; content: unknown }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  seed?: number;
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
  /** Base URL including `/v1`, for `baseUrl`. */
  url: string;
  /** Every chat completion request body received, in order, faults included. */
  requests: ChatRequestBody[];
  /** The headers of each entry of `requests`. */
  headers: IncomingHttpHeaders[];
  /** Scripts the next replies, consumed one per request before the responder is asked. */
  enqueue(...steps: MockStep[]): void;
  setDefault(responder: MockResponder): void;
  /** Steps still queued. */
  pending(): number;
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

export async function startMockLlm(options: MockLlmOptions = {}): Promise<MockLlm> {
  const queue: MockStep[] = [];
  const requests: ChatRequestBody[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const timers = new Set<NodeJS.Timeout>();
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
  const apiError = (message: string, type: string) => ({ error: { message, type, param: null, code: null } });

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

  const reply = async (res: ServerResponse, body: ChatRequestBody, step: MockReply) => {
    if (step.delayMs) await sleep(step.delayMs);
    // Not req.destroyed: a request auto-destroys once its body has been read.
    if (res.destroyed || res.socket?.destroyed !== false) return;
    const id = `chatcmpl-mock-${++nextId}`;
    const stamp = created++;
    const finishReason = step.finishReason ?? "stop";
    const promptTokens = tokens(promptOf(body).length);
    const usage =
      step.usage === "none"
        ? undefined
        : {
            prompt_tokens: step.usage?.promptTokens ?? promptTokens,
            completion_tokens: step.usage?.completionTokens ?? tokens(step.text.length),
            total_tokens:
              (step.usage?.promptTokens ?? promptTokens) +
              (step.usage?.completionTokens ?? tokens(step.text.length)),
            prompt_tokens_details: { cached_tokens: step.usage?.cachedTokens ?? 0 },
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
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
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
    for (let i = 0; i < step.text.length; i += chunkChars) {
      res.write(chunk({ content: step.text.slice(i, i + chunkChars) }, null));
    }
    res.write(chunk({}, finishReason));
    if (withUsage && usage) {
      res.write(
        `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: stamp, model: body.model, choices: [], usage })}\n\n`,
      );
    }
    res.end("data: [DONE]\n\n");
  };

  const fault = (req: IncomingMessage, res: ServerResponse, body: ChatRequestBody, step: MockFault) => {
    switch (step.fault) {
      case "429": {
        const extra: Record<string, string> = {};
        if (step.retryAfterMs !== undefined) extra["retry-after-ms"] = String(step.retryAfterMs);
        extra["retry-after"] = String(step.retryAfterSeconds ?? 1);
        sendJson(res, 429, apiError("Rate limit reached (mock)", "rate_limit_error"), extra);
        return;
      }
      case "500":
        sendJson(
          res,
          500,
          apiError("Internal server error (mock)", "server_error"),
          step.retryAfterMs === undefined ? {} : { "retry-after-ms": String(step.retryAfterMs) },
        );
        return;
      case "timeout": {
        if (step.ms !== undefined) dropAfter(req, step.ms);
        return;
      }
      case "cut":
      case "stall": {
        const partialBody = (): string => {
          if (!body.stream)
            return '{"id":"chatcmpl-mock-cut","object":"chat.completion","choices":[{"index":0,"mess';
          const partial = {
            id: `chatcmpl-mock-${++nextId}`,
            object: "chat.completion.chunk",
            created: created++,
            model: body.model,
            choices: [
              { index: 0, delta: { role: "assistant", content: "partial rep" }, finish_reason: null },
            ],
          };
          return `data: ${JSON.stringify(partial)}\n\n`;
        };
        res.writeHead(200, { "content-type": body.stream ? "text/event-stream" : "application/json" });
        if (step.fault === "cut") {
          cutAfter(res, partialBody());
          return;
        }
        res.write(partialBody());
        if (step.ms !== undefined) dropAfter(req, step.ms);
        return;
      }
      case "garbage":
        if (body.stream) {
          res.writeHead(200, { "content-type": "text/event-stream" });
          res.end("data: {this is not json\n\ndata: [DONE]\n\n");
        } else {
          res.writeHead(200, { "content-type": "application/json" });
          res.end("<html><body>502 Bad Gateway</body></html>");
        }
        return;
    }
  };

  const handleChat = async (req: IncomingMessage, res: ServerResponse, raw: string) => {
    let body: ChatRequestBody;
    try {
      body = JSON.parse(raw) as ChatRequestBody;
      if (!body || !Array.isArray(body.messages)) throw new Error("messages must be an array");
    } catch (error) {
      sendJson(res, 400, apiError(`bad request body: ${(error as Error).message}`, "invalid_request_error"));
      return;
    }
    requests.push(body);
    headers.push(req.headers);
    let step: MockStep | string;
    const queued = queue.shift();
    if (queued) {
      step = queued;
    } else {
      try {
        step = await responder(body);
      } catch (error) {
        // A 400 is not retried, so a broken responder shows up in the test as one clear error.
        sendJson(
          res,
          400,
          apiError(`mock responder threw: ${(error as Error).message}`, "invalid_request_error"),
        );
        return;
      }
    }
    if (typeof step === "string") step = { text: step };
    if ("fault" in step) fault(req, res, body, step);
    else await reply(res, body, step);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method === "POST" && path === "/v1/chat/completions") {
        handleChat(req, res, Buffer.concat(chunks).toString("utf8")).catch((error: unknown) => {
          if (!res.headersSent) sendJson(res, 500, apiError(String(error), "server_error"));
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
      sendJson(res, 404, apiError(`no route ${req.method} ${path} on the mock`, "invalid_request_error"));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    headers,
    enqueue: (...steps) => {
      queue.push(...steps);
    },
    setDefault: (fn) => {
      responder = fn;
    },
    pending: () => queue.length,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      // Hanging "timeout" requests and keep-alive sockets would otherwise hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
