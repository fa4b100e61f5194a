/**
 * A clone of this repository as a new user gets it: in an empty temporary
 * folder (nothing beside it, so no sibling folder can be found), HEAD plus the
 * working tree's changes to tracked files (a new file must be added to git to
 * be in it), with node_modules linked in to save the install.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPOSITORY = resolve(import.meta.dirname, "..", "..");

export interface Clone {
  /** The empty folder the clone is in. */
  folder: string;
  /** The clone. */
  dir: string;
  remove(): void;
}

function git(cwd: string, args: string[], input?: Buffer): Buffer {
  return execFileSync("git", args, { cwd, input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 << 20 });
}

export function cloneRepository(): Clone {
  const folder = mkdtempSync(join(tmpdir(), "adrs-clone-"));
  const dir = join(folder, "adrs");
  git(folder, ["clone", "--quiet", REPOSITORY, dir]);
  const changes = git(REPOSITORY, ["diff", "HEAD", "--binary"]);
  if (changes.length > 0) git(dir, ["apply", "--whitespace=nowarn"], changes);
  symlinkSync(join(REPOSITORY, "node_modules"), join(dir, "node_modules"), "dir");
  return { folder, dir, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

/** The environment of a new user: no data folder override, no model keys, no test runner context. */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    "ADRS_DATA_DIR",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "NODE_TEST_CONTEXT",
    "NODE_OPTIONS",
  ]) {
    delete env[name];
  }
  return { ...env, ...extra };
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <args>` in `cwd` as a new user would; returns the exit code and output. */
export function nodeIn(cwd: string, args: string[], env: NodeJS.ProcessEnv = userEnv()): Finished {
  const r = spawnSync(process.execPath, args, { cwd, encoding: "utf8", env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `nodeIn` without blocking, so that several can run at once. */
export function nodeInAsync(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv = userEnv(),
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => {
      stdout += b;
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
