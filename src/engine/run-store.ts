import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parse } from "yaml";
import { InputError } from "../core/errors.ts";
import type { KyselyStore } from "../store/kysely-store.ts";
import { isPostgresUrl, openPostgresStore, redact } from "../store/postgres/index.ts";
import { openSqliteStore } from "../store/sqlite/index.ts";
import { holdsRun, noRunMessage, requireRunDir, runFiles } from "./run-dir.ts";

export interface RunStoreOptions {
  /** The store's location (`--store`); default the run's `store:` in its config.yaml, else run.db in the folder. */
  store?: string;
  readonly?: boolean;
  clock?: () => number;
}

/** A run's id in a shared database: the name of its run directory (runs/<task>-<time>). */
export function runIdOf(dir: string): string {
  return basename(resolve(dir));
}

/** The `store:` the run was started with, as its resolved config records it. */
export function configuredStore(dir: string): string | undefined {
  const file = join(dir, runFiles.config);
  if (!existsSync(file)) return undefined;
  const config = parse(readFileSync(file, "utf8")) as { store?: unknown } | null;
  return typeof config?.store === "string" ? config.store : undefined;
}

/** Whether a run's events live in PostgreSQL rather than in its folder's run.db. */
export function postgresOf(dir: string, store?: string): string | undefined {
  const location = store ?? configuredStore(dir);
  return location && isPostgresUrl(location) ? location : undefined;
}

/**
 * Opens a run's store: the PostgreSQL database named by `store` (or by the
 * run's config), where the run is the one named like its directory; else
 * SQLite in the run directory, which must then exist.
 */
export async function openRunStore(dir: string, options: RunStoreOptions = {}): Promise<KyselyStore> {
  const url = postgresOf(dir, options.store);
  if (options.store && !url) {
    throw new InputError(
      `--store ${options.store}: expected a PostgreSQL URL (postgres://user@host:5432/database); leave --store out for SQLite in the run folder`,
    );
  }
  if (url)
    return openPostgresStore(url, {
      runId: runIdOf(dir),
      ...(options.clock ? { clock: options.clock } : {}),
    });
  // A reader needs the run's folder; a writer (a new run) creates run.db in it.
  const folder = options.readonly ? requireRunDir(dir) : resolve(dir);
  return openSqliteStore(join(folder, runFiles.database), options);
}

/** Opens an existing run's store; an InputError when it holds no run (never started, or no such run there). */
export async function openExistingRun(dir: string, options: RunStoreOptions = {}): Promise<KyselyStore> {
  const store = await openRunStore(dir, options);
  if (await holdsRun(store)) return store;
  await store.close();
  const url = postgresOf(dir, options.store);
  throw new InputError(
    url
      ? `${redact(url)} holds no run ${runIdOf(dir)}: give the run directory (or its name) that run printed when it started`
      : noRunMessage(dir),
  );
}
