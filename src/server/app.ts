import { type Context, Hono } from "hono";
import { compress } from "hono/compress";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import { z } from "zod";
import { type AccessOptions, accessControl } from "./access.ts";
import type { Dashboard } from "./dashboard.ts";
import type { StaticFile } from "./static-files.ts";
import { SteerRefused, steerRequest } from "./steer.ts";

/** A comment line on idle event streams, so proxies and browsers keep them open. */
const KEEPALIVE_MS = 15_000;

/**
 * The dashboard's HTTP face: a read-only JSON API over the followed runs,
 * event streams that push each change, and the built page. Every GET only
 * reads; runs and programs are named by catalog id, files by exact URL.
 */
export function createApp(
  dashboard: Dashboard,
  files: Map<string, StaticFile>,
  access: AccessOptions,
  log: (line: string) => void = () => {},
): Hono {
  const app = new Hono();
  app.onError((e, c) => {
    log(`${c.req.method} ${c.req.path}: ${e.message}`);
    return c.json({ error: e.message }, 500);
  });
  app.use(accessControl(access));
  app.use("/api/runs", compress());
  app.use("/api/runs/*", compress());

  app.get("/api/runs", (c) => c.json({ runs: dashboard.list() }));

  app.get("/api/runs/:id", async (c) => {
    const run = dashboard.get(c.req.param("id"));
    if (!run) return notFound(c, "run");
    await run.load();
    return c.json(run.payload(sinceOf(c)));
  });

  app.get("/api/compares", (c) => c.json({ compares: dashboard.compares() }));

  app.get("/api/compares/:id", (c) => {
    const found = dashboard.compare(c.req.param("id"));
    return found ? c.json(found) : notFound(c, "comparison");
  });

  app.get("/api/runs/:id/strategy", async (c) => {
    const run = dashboard.get(c.req.param("id"));
    if (!run) return notFound(c, "run");
    return c.json(await run.strategy());
  });

  app.get("/api/runs/:id/programs/:program", async (c) => {
    const run = dashboard.get(c.req.param("id"));
    if (!run) return notFound(c, "run");
    const program = await run.program(c.req.param("program"));
    if (!program) return notFound(c, "program");
    return c.json(program);
  });

  // The one write: a steering event for a live run.
  app.post("/api/runs/:id/steer", async (c) => {
    const run = dashboard.get(c.req.param("id"));
    if (!run) return notFound(c, "run");
    const parsed = steerRequest.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success)
      return c.json({ error: `bad steering request: ${z.prettifyError(parsed.error)}` }, 400);
    try {
      return c.json(await run.steer(parsed.data));
    } catch (e) {
      if (e instanceof SteerRefused) return c.json({ error: e.message }, 409);
      throw e;
    }
  });

  // The runs page: the whole list again whenever any run changed.
  app.get("/api/stream", (c) =>
    follow(c, (send) => {
      send("runs", { runs: dashboard.list() });
      return dashboard.subscribe(() => send("runs", { runs: dashboard.list() }));
    }),
  );

  // A run page: what changed since the seq it has, each time the run moves.
  app.get("/api/runs/:id/stream", async (c) => {
    const run = dashboard.get(c.req.param("id"));
    if (!run) return notFound(c, "run");
    await run.load();
    let since = sinceOf(c);
    return follow(c, (send) => {
      const push = () => {
        const delta = run.payload(since);
        since = delta.seq;
        send("delta", delta);
      };
      push();
      return run.subscribe(push);
    });
  });

  app.get("*", (c) => {
    const path = c.req.path === "/" ? "/index.html" : c.req.path;
    const file = files.get(path);
    if (!file) return notFound(c, "file");
    return c.body(file.body as Uint8Array<ArrayBuffer>, 200, {
      "content-type": file.type,
      "cache-control": file.immutable ? "public, max-age=31536000, immutable" : "no-cache",
    });
  });
  return app;
}

function sinceOf(c: Context): number {
  const since = Number(c.req.query("since") ?? 0);
  return Number.isInteger(since) && since >= 0 ? since : 0;
}

function notFound(c: Context, what: string) {
  return c.json({ error: `no such ${what}` }, 404);
}

/**
 * An event stream that lasts until the page goes away. `start` sends the
 * first message and subscribes; writes are queued so messages keep their order.
 */
function follow(c: Context, start: (send: (event: string, data: unknown) => void) => () => void): Response {
  return streamSSE(c, async (stream: SSEStreamingApi) => {
    let writing = Promise.resolve();
    const send = (event: string, data: unknown) => {
      writing = writing.then(() => stream.writeSSE({ event, data: JSON.stringify(data) })).catch(() => {});
    };
    const unsubscribe = start(send);
    const keepalive = setInterval(() => {
      writing = writing
        .then(() => stream.write(": keepalive\n\n"))
        .then(
          () => {},
          () => {},
        );
    }, KEEPALIVE_MS);
    await new Promise<void>((resolve) => stream.onAbort(resolve));
    clearInterval(keepalive);
    unsubscribe();
  });
}
