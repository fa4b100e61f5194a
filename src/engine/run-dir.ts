import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { stringify } from "yaml";
import { DiskFullError, InputError, isDiskFull } from "../core/errors.ts";
import type { Store } from "../store/store.ts";
import type { RunConfig } from "./config.ts";

/** A run directory holds the database, the resolved config and, while a run is live, a lock. */
export const runFiles = {
  database: "run.db",
  config: "config.yaml",
  lock: "run.lock",
  // The evaluation cache of runs made before it moved into the store (their leftovers are still cleared).
  evaluations: "evaluations",
} as const;

export function defaultRunDir(taskId: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return join("runs", `${taskId.replace(/[^A-Za-z0-9_-]/g, "_")}-${stamp}`);
}

/** A run folder holds run.db (SQLite) or, for a run stored in PostgreSQL, the config.yaml it wrote naming it. */
export function isRunDir(dir: string): boolean {
  if (existsSync(join(dir, runFiles.database))) return true;
  const config = join(dir, runFiles.config);
  if (!existsSync(config)) return false;
  const text = readFileSync(config, "utf8");
  return text.startsWith(CONFIG_HEADER) && /^store: postgres/m.test(text);
}

/** The run directory's full path; an InputError when `dir` is not one. `flag` names where it came from. */
export function requireRunDir(dir: string, flag = ""): string {
  const full = resolve(dir);
  if (isRunDir(full)) return full;
  const what = existsSync(full) ? `is not a run directory (no ${runFiles.database})` : "does not exist";
  throw new InputError(
    `${flag ? `${flag}: ` : ""}${full} ${what}: give the directory a run printed when it started (runs/<task>-<time>)`,
  );
}

/**
 * Creates a new run directory (and its parents), with an InputError naming the
 * obstacle when it cannot be: a file where a folder must be, no permission.
 */
export function createRunDir(dir: string): void {
  for (let at = resolve(dir); at !== dirname(at); at = dirname(at)) {
    if (!existsSync(at)) continue;
    if (!statSync(at).isDirectory()) {
      throw new InputError(
        `cannot create the run directory ${resolve(dir)}: ${at} is a file, not a folder; choose another --out`,
      );
    }
    break;
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === "EACCES" ? "permission denied" : (err as Error).message;
    throw new InputError(`cannot create the run directory ${resolve(dir)}: ${reason}; choose another --out`);
  }
}

export function writeResolvedConfig(dir: string, config: RunConfig): void {
  const file = join(dir, runFiles.config);
  // A run folder is copied, shared and committed: no secret goes into it. A store's password is
  // given again through PGPASSWORD or ~/.pgpass, which the PostgreSQL client reads when the URL has none.
  const written = config.store ? { ...config, store: withoutPassword(config.store) } : config;
  try {
    writeFileSync(file, `${CONFIG_HEADER}\n${stringify(written)}`);
  } catch (e) {
    throw isDiskFull(e) ? new DiskFullError(file, e) : e;
  }
}

/** `url` with its password left out (a URL it cannot parse is returned as it is; the config has checked it). */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = "";
    return parsed.toString();
  } catch {
    return url;
  }
}

/** The first line of the config.yaml a run writes: how a folder's config.yaml is told from a user's own. */
const CONFIG_HEADER = "# The resolved config of this run (defaults filled in). adrs resume reads it.";

/**
 * Whether a run database holds a run: false when it never got its
 * run_started (a disk that filled at the start, a kill in the first instant,
 * a 0-byte file), which leaves no tables or no events.
 */
export async function holdsRun(store: Store): Promise<boolean> {
  try {
    return (await store.startConfig()) !== undefined;
  } catch (e) {
    if (/no such table/.test(String((e as Error).message))) return false;
    throw e;
  }
}

/** What to say of a folder whose run.db holds no run, and the way out. */
export function noRunMessage(dir: string): string {
  return (
    `${resolve(dir)} holds no run: its ${runFiles.database} has no run_started event (the run never started). ` +
    `Start one there with \`adrs run <task> --out ${dir}\`, which replaces it`
  );
}

/**
 * The files a folder holds that are not a run's own, for `run --out` on a
 * folder whose run never started: a run's database, lock, evaluation cache
 * and the config.yaml it wrote may be replaced; anything else is the user's.
 */
export function foreignFiles(dir: string): string[] {
  const ours = new Set<string>([runFiles.lock, runFiles.evaluations]);
  for (const suffix of ["", "-wal", "-shm", "-journal"]) ours.add(`${runFiles.database}${suffix}`);
  return readdirSync(dir).filter((name) => {
    if (name === runFiles.config) {
      return !readFileSync(join(dir, name), "utf8").startsWith(CONFIG_HEADER);
    }
    return !ours.has(name);
  });
}

/** Removes what a run that never started left, so a new run starts there afresh. */
export function clearUnstartedRun(dir: string): void {
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
}

/** Temporary files (an evaluation being written) that a killed process left; returns how many were removed. */
export function removeLeftovers(dir: string): number {
  const evaluations = join(dir, runFiles.evaluations);
  if (!existsSync(evaluations)) return 0;
  const left = readdirSync(evaluations).filter((name) => name.endsWith(".tmp"));
  for (const name of left) rmSync(join(evaluations, name), { force: true });
  return left.length;
}

/** The pid holding the run, if that process is still alive. */
export function livePid(dir: string): number | null {
  const file = join(dir, runFiles.lock);
  if (!existsSync(file)) return null;
  const pid = Number.parseInt(readFileSync(file, "utf8"), 10);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/** Takes the run's lock; fails if another live process holds it. Returns the release function. */
export function lockRun(dir: string): () => void {
  const holder = livePid(dir);
  if (holder !== null && holder !== process.pid) {
    throw new InputError(
      `${resolve(dir)} is in use by a live adrs process (pid ${holder}): wait for it, or stop it with Ctrl-C`,
    );
  }
  const file = join(dir, runFiles.lock);
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}
