import { execFile, spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { constants, tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { bwrapArgv, findExecutable, installPrefix, limitArgv } from "./protection.ts";
import type { CommandJob, CommandResult } from "./sandbox.ts";
import { Tail } from "./tail.ts";

export interface CommandContext {
  /** The bwrap binary when bubblewrap is in force. */
  bwrap: string | undefined;
  maxOutputBytes: number;
  logBytes: number;
  /** Set RLIMIT_CPU and RLIMIT_AS on the command. */
  kernelLimits: boolean;
  onSpawn(pid: number): void;
  onExit(pid: number): void;
  /** Rejects when the sandbox closes under the job. */
  aborted: Promise<never>;
}

const MB = 1024 * 1024;
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;
const OUT_OF_MEMORY = /MemoryError|Cannot allocate memory|std::bad_alloc|out of memory/i;
const PYTHON = /^python[0-9.]*$/;

interface Program {
  /** Absolute path of the executable. */
  path: string;
  /** Folders it needs to see outside /usr (its installation). */
  readOnly: string[];
}

const programs = new Map<string, Promise<Program>>();

/**
 * The executable behind a command name, resolved on the engine's PATH before the
 * sandbox starts (the sandbox has its own, minimal PATH). A Python is asked for
 * its real executable, since a version manager's `python3` is a shell shim that
 * needs the engine's environment.
 */
export function resolveProgram(name: string, cwd: string): Promise<Program> {
  if (name.includes("/")) return Promise.resolve({ path: resolve(cwd, name), readOnly: [] });
  let pending = programs.get(name);
  if (!pending) {
    pending = locate(name);
    programs.set(name, pending);
    pending.catch(() => programs.delete(name));
  }
  return pending;
}

async function locate(name: string): Promise<Program> {
  const found = findExecutable(name);
  if (!found) throw new Error(`command not found on PATH: ${name}`);
  if (PYTHON.test(name)) {
    const lines = await new Promise<string[]>((done, fail) =>
      execFile(
        found,
        ["-c", "import sys; print(sys.executable); print(sys.base_prefix); print(sys.prefix)"],
        { timeout: 20_000 },
        (err, stdout) =>
          err ? fail(new Error(`${name} does not run: ${err.message}`)) : done(stdout.split("\n")),
      ),
    );
    const [exe, base, prefix] = lines.map((l) => l.trim());
    if (!exe) throw new Error(`${name} did not say where its executable is`);
    const path = realpathSync(exe);
    return { path, readOnly: [installPrefix(path), base, prefix].filter((p): p is string => !!p) };
  }
  const path = realpathSync(found);
  return { path, readOnly: [installPrefix(path)] };
}

/** `{key}` placeholders replaced; an unknown one is an error naming it. */
export function expandArgv(argv: readonly string[], values: Record<string, string>): string[] {
  return argv.map((arg) =>
    arg.replace(PLACEHOLDER, (whole, key: string) => {
      const v = values[key];
      if (v === undefined) {
        throw new Error(
          `unknown placeholder ${whole} in the command (known: ${Object.keys(values).join(", ")})`,
        );
      }
      return v;
    }),
  );
}

/**
 * Runs one external-evaluator command: its files in a fresh job folder, the
 * command in its own process group under the kernel limits and, where it is in
 * force, bubblewrap (no network, read-only system, the task folder and the job
 * folder read-only, a private /tmp). Rejects only when the command cannot be
 * prepared (a task bug) or the sandbox closes.
 */
export async function runCommandJob(job: CommandJob, ctx: CommandContext): Promise<CommandResult> {
  const dir = await mkdtemp(join(tmpdir(), "adrs-job-"));
  try {
    await chmod(dir, 0o755);
    const values: Record<string, string> = { ...(job.vars ?? {}) };
    for (const [key, file] of Object.entries(job.files)) {
      if (basename(file.name) !== file.name)
        throw new Error(`file name "${file.name}" must not contain a folder`);
      const path = join(dir, file.name);
      await writeFile(path, file.content, { mode: 0o644 });
      values[key] = path;
    }
    const argv = expandArgv(job.argv, values);
    if (argv.length === 0 || argv[0] === "") throw new Error("the command is empty");
    const program = await resolveProgram(argv[0] as string, job.cwd);
    argv[0] = program.path;
    const env = {
      PATH: `${dirname(program.path)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: "/tmp",
      TMPDIR: "/tmp",
      LANG: "C.UTF-8",
      PYTHONDONTWRITEBYTECODE: "1",
      PYTHONUNBUFFERED: "1",
    };
    const confined = ctx.bwrap
      ? bwrapArgv(ctx.bwrap, {
          argv,
          readOnly: [...program.readOnly, realpathSync(job.cwd), dir],
          cwd: realpathSync(job.cwd),
          env,
          tmpMb: Math.max(16, job.memoryMb),
        })
      : argv;
    const cpuMs = job.cpuMs ?? job.timeoutMs;
    const command = ctx.kernelLimits
      ? [...limitArgv({ cpuSeconds: cpuMs / 1000, addressBytes: job.memoryMb * MB }), ...confined]
      : confined;
    return await Promise.race([execute(command, job, ctx, env, cpuMs), ctx.aborted]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function execute(
  command: string[],
  job: CommandJob,
  ctx: CommandContext,
  env: Record<string, string>,
  cpuMs: number,
): Promise<CommandResult> {
  return new Promise((done) => {
    const started = performance.now();
    const [cmd, ...args] = command as [string, ...string[]];
    const child = spawn(cmd, args, {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      env: ctx.bwrap ? {} : env,
      cwd: job.cwd,
    });
    const pid = child.pid;
    if (pid !== undefined) ctx.onSpawn(pid);
    const kill = () => {
      if (pid === undefined) return;
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // gone already
      }
    };
    ctx.aborted.catch(kill);
    const out: Buffer[] = [];
    let outBytes = 0;
    const log = new Tail(ctx.logBytes);
    let reason: "timeout" | "output" | undefined;
    let spawnError: string | undefined;
    const timer = setTimeout(() => {
      reason ??= "timeout";
      kill();
    }, job.timeoutMs);
    child.stdout?.on("data", (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > ctx.maxOutputBytes) {
        reason ??= "output";
        kill();
        return;
      }
      out.push(b);
    });
    child.stderr?.on("data", (b: Buffer) => log.push(b));
    child.on("error", (err) => {
      spawnError = err.message;
    });
    child.on("close", (rawCode, rawSignal) => {
      clearTimeout(timer);
      kill();
      if (pid !== undefined) ctx.onExit(pid);
      let code = rawCode;
      let signal: string | null = rawSignal;
      if (ctx.bwrap && signal === null && code !== null && code > 128) {
        signal = signalName(code - 128);
        code = null;
      }
      const text = log.text();
      const base = {
        stdout: Buffer.concat(out).toString("utf8"),
        log: text,
        exitCode: code,
        signal,
        durationMs: performance.now() - started,
      };
      const fail = (status: CommandResult["status"], error: string) => done({ ...base, status, error });
      if (spawnError !== undefined) return fail("error", `could not start the command: ${spawnError}`);
      if (reason === "timeout") return fail("timeout", `timed out after ${job.timeoutMs} ms (wall clock)`);
      if (reason === "output") {
        return fail(
          "error",
          `the command printed more than ${(ctx.maxOutputBytes / MB).toFixed(0)} MB on stdout`,
        );
      }
      if (signal === "SIGXCPU") return fail("timeout", `CPU time limit of ${cpuMs} ms exceeded`);
      if (signal !== null) return fail("crash", `the command was killed by ${signal}`);
      if (code !== 0) {
        if (OUT_OF_MEMORY.test(text)) return fail("crash", `memory limit of ${job.memoryMb} MB exceeded`);
        return fail("crash", `the command exited with code ${code}`);
      }
      done({ ...base, status: "ok" });
    });
  });
}

function signalName(n: number): string | null {
  for (const [name, value] of Object.entries(constants.signals)) if (value === n) return name;
  return null;
}
