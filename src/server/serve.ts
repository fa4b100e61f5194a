import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { createAdaptorServer } from "@hono/node-server";
import { isLoopback, newToken } from "./access.ts";
import { createApp } from "./app.ts";
import { Dashboard } from "./dashboard.ts";
import { loadStaticFiles } from "./static-files.ts";

export interface ServeOptions {
  /** Run folders, or folders holding runs; requests can reach nothing outside them. */
  folders: string[];
  /** Default 127.0.0.1. Any address beyond loopback requires a token. */
  host?: string;
  /** Default 8377; 0 picks a free port. */
  port?: number;
  /** A token to require; default: none on loopback, a new random one beyond it. */
  token?: string;
  pollMs?: number;
  /** The PostgreSQL database of every run (`--store`). */
  store?: string;
  /** The built page's folder (default web/dist). */
  webDir?: string;
  log?: (line: string) => void;
}

export interface DashboardServer {
  /** The address to open (this machine's name when bound to every address), with `?token=` when a token is required. */
  url: string;
  /** The address it is bound to, without the token. */
  origin: string;
  token: string | null;
  dashboard: Dashboard;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8377;

/** Starts the dashboard: finds and reads the runs, then listens. */
export async function serveDashboard(options: ServeOptions): Promise<DashboardServer> {
  const host = options.host ?? "127.0.0.1";
  const loopback = isLoopback(host);
  const token = options.token ?? (loopback ? null : newToken());
  const files = loadStaticFiles(options.webDir);
  const dashboard = await Dashboard.start(
    {
      folders: options.folders,
      ...(options.pollMs ? { pollMs: options.pollMs } : {}),
      ...(options.store ? { store: options.store } : {}),
    },
    options.log,
  );
  const app = createApp(dashboard, files, { token, loopback }, options.log);
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host }) as Server;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? DEFAULT_PORT, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (e) {
    await dashboard.close();
    const code = (e as NodeJS.ErrnoException).code;
    const where = `${host}:${options.port ?? DEFAULT_PORT}`;
    if (code === "EADDRINUSE") throw new Error(`port in use: ${where} (choose another with --port)`);
    if (code === "EADDRNOTAVAIL") throw new Error(`--host ${host} is not an address of this machine`);
    throw e;
  }
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  // Bound to every address: other machines reach it by this machine's name.
  const shown = host === "0.0.0.0" || host === "::" ? `http://${hostname()}:${port}` : origin;
  return {
    url: token ? `${shown}/?token=${token}` : `${shown}/`,
    origin,
    token,
    dashboard,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Event streams never end on their own.
      server.closeAllConnections();
      await closed;
      await dashboard.close();
    },
  };
}
