/** Helpers for the dashboard's tests: a raw HTTP client and an event-stream reader. */
import { request } from "node:http";

/** A GET with the path sent exactly as given (fetch would resolve `..` before sending). */
export function rawGet(
  origin: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: "GET", headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

export interface StreamMessage {
  event: string;
  data: unknown;
}

/**
 * Reads a server-sent event stream. `next(match)` resolves with the first
 * message (from the start of the stream or after the last one returned) that
 * `match` accepts.
 */
export async function openStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  if (!res.ok || !res.body) throw new Error(`${url}: ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const queue: StreamMessage[] = [];
  let buffer = "";
  const read = async (): Promise<void> => {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${url}: the stream ended`);
    buffer += value;
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of frame.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length > 0) queue.push({ event, data: JSON.parse(data.join("\n")) });
    }
  };
  return {
    status: res.status,
    contentType: res.headers.get("content-type"),
    async next(match: (m: StreamMessage) => boolean = () => true): Promise<StreamMessage> {
      for (;;) {
        while (queue.length > 0) {
          const m = queue.shift()!;
          if (match(m)) return m;
        }
        await read();
      }
    },
    close() {
      controller.abort();
    },
  };
}
