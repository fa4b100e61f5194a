import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
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
    throw new Error(`${resolve(dir)} is in use by a live adrs process (pid ${holder})`);
  }
  const file = join(dir, runFiles.lock);
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}
