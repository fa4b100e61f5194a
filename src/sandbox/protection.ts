import { spawn } from "node:child_process";
import { accessSync, constants, lstatSync, readlinkSync, realpathSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import type { Protection } from "./sandbox.ts";

/** What to wrap each child in: `auto` picks bubblewrap when it works here, else the fallback. */
export type ProtectionChoice = "auto" | "bwrap" | "permission" | "none";

/** Resource limits the kernel enforces on a child and everything it starts. */
export interface KernelLimits {
  /** RLIMIT_CPU soft limit (SIGXCPU); the hard limit (SIGKILL) is one second more. */
  cpuSeconds: number;
  /** RLIMIT_AS in bytes. */
  addressBytes: number;
}

/** A command to run inside the sandbox, with what it may see. */
export interface Confinement {
  argv: string[];
  /** Paths visible read-only at the same place inside (files or folders). */
  readOnly: string[];
  /** Working directory inside. */
  cwd: string;
  env: Record<string, string>;
  /** Size of the private /tmp. */
  tmpMb: number;
}

const SYSTEM_LINKS = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
/** What the dynamic loader and interpreters read from /etc; nothing with secrets. */
const SYSTEM_FILES = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime"];

/** An executable on `PATH` (or the path itself when it has a slash), or undefined. */
export function findExecutable(name: string, path = process.env.PATH ?? ""): string | undefined {
  if (name.includes("/")) return canExecute(name) ? resolve(name) : undefined;
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    if (canExecute(candidate)) return candidate;
  }
  return undefined;
}

function canExecute(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return !lstatSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** The folder to make visible for an executable outside /usr: its installation prefix. */
export function installPrefix(executable: string): string {
  const real = realpathSync(executable);
  const bin = dirname(real);
  return bin.endsWith("/bin") ? dirname(bin) : bin;
}

/** `bwrap …` arguments: no network, no other namespaces, read-only system, private /tmp. */
export function bwrapArgv(bwrap: string, c: Confinement): string[] {
  const args = [
    bwrap,
    "--unshare-all",
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    "--ro-bind",
    "/usr",
    "/usr",
  ];
  for (const p of SYSTEM_LINKS) {
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(p);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) args.push("--symlink", readlinkSync(p), p);
    else if (stat.isDirectory()) args.push("--ro-bind", p, p);
  }
  for (const f of SYSTEM_FILES) args.push("--ro-bind-try", f, f);
  args.push("--proc", "/proc", "--dev", "/dev");
  // Before the binds: a job folder may live under /tmp.
  args.push("--size", String(Math.max(1, Math.floor(c.tmpMb)) * 1024 * 1024), "--tmpfs", "/tmp");
  const seen = new Set<string>();
  for (const p of c.readOnly) {
    if (!isAbsolute(p) || seen.has(p) || p === "/usr" || p.startsWith("/usr/")) continue;
    seen.add(p);
    args.push("--ro-bind", p, p);
  }
  args.push("--chdir", c.cwd, "--clearenv");
  for (const [k, v] of Object.entries(c.env)) args.push("--setenv", k, v);
  args.push("--", ...c.argv);
  return args;
}

/** Prefix that sets the kernel limits and then runs the command (prlimit, or sh's ulimit). */
export function limitArgv(limits: KernelLimits): string[] {
  const cpu = Math.max(1, Math.ceil(limits.cpuSeconds));
  const prlimit = findExecutable("prlimit", "/usr/bin:/bin:/usr/sbin:/sbin");
  if (prlimit) return [prlimit, `--cpu=${cpu}:${cpu + 1}`, `--as=${Math.floor(limits.addressBytes)}`, "--"];
  const kb = Math.floor(limits.addressBytes / 1024);
  // $0 is the command, "$@" its arguments: nothing is re-parsed by the shell.
  return ["/bin/sh", "-c", `ulimit -St ${cpu} && ulimit -Ht ${cpu + 1} && ulimit -v ${kb} && exec "$0" "$@"`];
}

export const SUMMARY: Record<Protection["kind"], string> = {
  bwrap:
    "bubblewrap: no network, read-only file system without the workload data, private /tmp, no capabilities; candidates in an isolated-vm isolate",
  permission:
    "Node permission model (bubblewrap unavailable): the sandbox process reads only its own runner; candidates in an isolated-vm isolate; external evaluators run with kernel limits only, and network is not blocked",
  none: "no operating-system protection: candidates in an isolated-vm isolate under kernel limits only",
};

/** Runs `argv` and resolves with whether it exited 0 in time, and its stderr. */
export function probe(argv: string[], timeoutMs = 10_000): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((done) => {
    const [cmd, ...args] = argv as [string, ...string[]];
    let stderr = "";
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env: {} });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stderr?.on("data", (b: Buffer) => {
      if (stderr.length < 2000) stderr += b.toString("utf8");
    });
    child.on("error", (err) => {
      clearTimeout(timer);
      done({ ok: false, stderr: err.message });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ ok: code === 0, stderr: stderr.trim() });
    });
  });
}
