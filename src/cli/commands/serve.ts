import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { DEFAULT_PORT, serveDashboard } from "../../server/serve.ts";
import { UsageError } from "../errors.ts";

interface ServeFlags {
  port?: number;
  host?: string;
  store?: string;
}

/** The environment variable that sets the token instead of a random one (a flag would show in `ps`). */
export const TOKEN_ENV = "ADRS_SERVE_TOKEN";

/**
 * `adrs serve [folders…]`: the dashboard over run folders (or folders of
 * runs), until interrupted. Default folder: runs/.
 */
export async function serveCommand(folders: string[], flags: ServeFlags): Promise<void> {
  const given = folders.length > 0 ? folders : ["runs"];
  for (const folder of given) {
    if (!existsSync(folder)) throw new UsageError(`${resolve(folder)}: no such folder`);
    if (!statSync(folder).isDirectory()) {
      throw new UsageError(`${resolve(folder)} is not a folder (give a run folder or a folder of runs)`);
    }
  }
  const server = await serveDashboard({
    folders: given,
    port: flags.port ?? DEFAULT_PORT,
    ...(flags.host ? { host: flags.host } : {}),
    ...(flags.store ? { store: flags.store } : {}),
    ...(process.env[TOKEN_ENV] ? { token: process.env[TOKEN_ENV] } : {}),
    log: (line) => process.stderr.write(`adrs serve: ${line}\n`),
  });
  const runs = server.dashboard.list().length;
  process.stdout.write(`adrs dashboard: ${server.url}\n`);
  process.stderr.write(
    `following ${runs} run${runs === 1 ? "" : "s"} under ${given.join(", ")} (read-only); Ctrl-C stops\n`,
  );
  if (server.token) {
    process.stderr.write(
      `every request needs the token (open the address above once, or send "Authorization: Bearer <token>")\n`,
    );
  }
  await new Promise<void>((done) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      server.close().then(done, done);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
