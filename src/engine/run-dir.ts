import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { stringify } from "yaml";
import { InputError } from "../core/errors.ts";
import type { RunConfig } from "./config.ts";

/** A run directory holds the database, the resolved config and, while a run is live, a lock. */
export const runFiles = {
  database: "run.db",
  config: "config.yaml",
  lock: "run.lock",
  evaluations: "evaluations",
} as const;

export function defaultRunDir(taskId: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return join("runs", `${taskId.replace(/[^A-Za-z0-9_-]/g, "_")}-${stamp}`);
}

export function isRunDir(dir: string): boolean {
  return existsSync(join(dir, runFiles.database));
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
  writeFileSync(
    join(dir, runFiles.config),
    `# The resolved config of this run (defaults filled in). adrs resume reads it.\n${stringify(config)}`,
  );
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
