import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { SCRIPT_FILENAME } from "./bundle.ts";
import type { Sandbox, SandboxJob, SandboxOutput, SandboxResult } from "./sandbox.ts";

export interface ProcessSandboxOptions {
  /** Jobs that run at once; more wait in line (their clock starts when they start). Default: cores. */
  concurrency?: number;
  /** Combined size of all outputs of one job, as JSON. Default 16 MB. */
  maxOutputBytes?: number;
  /** How much of the child's stdout/stderr to keep for the log. Default 4 KB. */
  logBytes?: number;
  /**
   * Also cap the child's CPU time (`ulimit -t`, generous: a backstop for a child that
   * outlives its parent while spinning, which the parent's wall-clock kill cannot cover).
   * Default true where /bin/sh exists.
   */
  cpuLimit?: boolean;
  /** The node binary; default: the running one. */
  nodePath?: string;
}

const RUNNER = join(import.meta.dirname, "runner.mjs");
const SHELL = "/bin/sh";
const MB = 1024 * 1024;
/** After the child exits, how long to wait for its pipes to drain (a grandchild may hold them). */
const DRAIN_MS = 2000;

const HEAP_OOM = /Reached heap limit|JavaScript heap out of memory|Ineffective mark-compacts near heap limit/;

/**
 * Runs each job in a fresh `node` child process: a crash, a heap blow-up or an
 * endless loop ends that child, never the engine. The child is the leader of
 * its own process group, so a timeout kills whatever it spawned too.
 */
export class ProcessSandbox implements Sandbox {
  private readonly concurrency: number;
  private readonly maxOutputBytes: number;
  private readonly logBytes: number;
  private readonly cpuLimit: boolean;
  private readonly nodePath: string;
  private readonly waiting: Array<() => void> = [];
  private readonly live = new Set<Job>();
  private running = 0;
  private closed = false;

  constructor(options: ProcessSandboxOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? availableParallelism());
    this.maxOutputBytes = options.maxOutputBytes ?? 16 * MB;
    this.logBytes = options.logBytes ?? 4096;
    this.cpuLimit = (options.cpuLimit ?? true) && process.platform !== "win32" && existsSync(SHELL);
    this.nodePath = options.nodePath ?? process.execPath;
  }

  async run(job: SandboxJob): Promise<SandboxResult> {
    if (this.closed) throw new Error("ProcessSandbox is closed");
    if (this.running >= this.concurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.closed) throw new Error("ProcessSandbox is closed");
    }
    this.running++;
    try {
      const j = new Job(job, {
        maxOutputBytes: this.maxOutputBytes,
        logBytes: this.logBytes,
        cpuLimit: this.cpuLimit,
        nodePath: this.nodePath,
      });
      this.live.add(j);
      try {
        return await j.result;
      } finally {
        this.live.delete(j);
      }
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /** Kills every live child; running and waiting jobs reject with "closed". */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    const settled = [...this.live].map((j) => j.result.catch(() => undefined));
    for (const j of this.live) j.abort(new Error("ProcessSandbox closed while the job was running"));
    await Promise.all(settled);
  }
}

interface JobSettings {
  maxOutputBytes: number;
  logBytes: number;
  cpuLimit: boolean;
  nodePath: string;
}

/** One child process, from spawn to the last byte of its pipes. */
class Job {
  readonly result: Promise<SandboxResult>;
  private resolve!: (r: SandboxResult) => void;
  private reject!: (e: Error) => void;
  private readonly child: ChildProcess;
  private readonly started = performance.now();
  private readonly outputs: SandboxOutput[] = [];
  private readonly log: Tail;
  private readonly stderr: Tail;
  private protocolBytes = 0;
  private exit: { code: number | null; signal: NodeJS.Signals | null } = { code: null, signal: null };
  /** The protocol line being received, in pieces. */
  private partial: string[] = [];
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  /** Why the job is over, once known; the child may still be draining. */
  private outcome:
    | { kind: "done" }
    | { kind: "timeout" }
    | { kind: "load"; error: string }
    | { kind: "fatal"; index: number; error: string }
    | { kind: "protocol"; error: string }
    | { kind: "aborted"; error: Error }
    | undefined;

  constructor(
    private readonly job: SandboxJob,
    private readonly settings: JobSettings,
  ) {
    this.result = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.log = new Tail(settings.logBytes);
    this.stderr = new Tail(settings.logBytes);

    const nodeArgs = [`--max-old-space-size=${Math.max(8, Math.floor(job.memoryMb))}`, RUNNER];
    // CPU seconds: well above the wall-clock limit, since GC threads add CPU time too.
    const cpuSeconds = Math.ceil((job.timeoutMs / 1000) * 4) + 10;
    const [command, args] = settings.cpuLimit
      ? [
          SHELL,
          ["-c", `ulimit -c 0; ulimit -t ${cpuSeconds}; exec "$0" "$@"`, settings.nodePath, ...nodeArgs],
        ]
      : [settings.nodePath, nodeArgs];
    this.child = spawn(command as string, args as string[], {
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      detached: true,
      // Nothing of the engine's environment (API keys) reaches the candidate.
      env: {},
      cwd: tmpdir(),
      windowsHide: true,
    });
    this.child.on("error", (err) =>
      this.abort(new Error(`could not start the sandbox process: ${err.message}`)),
    );
    this.child.on("exit", (code, signal) => {
      this.exit = { code, signal };
      this.drainTimer ??= setTimeout(() => this.finish(), DRAIN_MS);
    });
    this.child.on("close", () => this.finish());

    const stdout = this.child.stdout;
    const stderr = this.child.stderr;
    stdout?.on("data", (b: Buffer) => this.log.push(b));
    stderr?.on("data", (b: Buffer) => {
      this.log.push(b);
      this.stderr.push(b);
    });
    const proto = this.child.stdio[3] as Readable | null;
    // Decoded as a stream, so a UTF-8 sequence split between chunks survives.
    proto?.setEncoding("utf8");
    proto?.on("data", (text: string) => this.onProtocol(text));
    for (const s of [stdout, stderr, proto]) s?.on("error", () => undefined);

    this.timer = setTimeout(() => {
      this.settle({ kind: "timeout" });
    }, job.timeoutMs);

    const stdin = this.child.stdin;
    if (stdin) {
      // EPIPE when the child dies before reading its job: the exit explains why.
      stdin.on("error", () => undefined);
      let payload: string;
      try {
        payload = JSON.stringify({
          script: job.script,
          inputs: job.inputs,
          filename: SCRIPT_FILENAME,
          maxOutputBytes: settings.maxOutputBytes,
        });
      } catch (err) {
        this.abort(new Error(`the job's inputs are not JSON-serialisable: ${(err as Error).message}`));
        return;
      }
      stdin.end(payload);
    }
  }

  abort(error: Error): void {
    this.settle({ kind: "aborted", error });
  }

  /** Records why the job is over (first reason wins) and kills the process group. */
  private settle(outcome: NonNullable<Job["outcome"]>): void {
    if (this.outcome === undefined) this.outcome = outcome;
    clearTimeout(this.timer);
    this.kill();
    // A child that never started emits no close.
    if (this.child.pid === undefined) this.finish();
  }

  private kill(): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // The group is gone already.
    }
  }

  private onProtocol(chunk: string): void {
    this.protocolBytes += chunk.length;
    // The child's own cap keeps honest outputs below this; more means the protocol was abused.
    // Envelopes and error texts (at most a few KB each) come on top of the outputs.
    if (this.protocolBytes > this.settings.maxOutputBytes + 4 * MB + this.job.inputs.length * 4096) {
      this.settle({ kind: "protocol", error: "the sandbox sent more output than the limit allows" });
      return;
    }
    // Only the new chunk is searched: a 16 MB line arrives in many chunks.
    let from = 0;
    let nl = chunk.indexOf("\n");
    while (nl >= 0) {
      this.partial.push(chunk.slice(from, nl));
      const line = this.partial.join("");
      this.partial = [];
      this.onMessage(line);
      from = nl + 1;
      nl = chunk.indexOf("\n", from);
    }
    if (from < chunk.length) this.partial.push(chunk.slice(from));
  }

  private onMessage(line: string): void {
    if (this.outcome !== undefined) return;
    let msg: { t?: unknown; i?: unknown; ok?: unknown; ms?: unknown; value?: unknown; error?: unknown };
    try {
      msg = JSON.parse(line);
    } catch {
      this.settle({ kind: "protocol", error: "the sandbox sent a malformed message" });
      return;
    }
    const error = typeof msg.error === "string" ? msg.error : "unknown error";
    switch (msg.t) {
      case "out": {
        if (msg.i !== this.outputs.length) {
          this.settle({ kind: "protocol", error: "the sandbox sent outputs out of order" });
          return;
        }
        const durationMs = typeof msg.ms === "number" ? msg.ms : 0;
        this.outputs.push(
          msg.ok === true ? { ok: true, value: msg.value, durationMs } : { ok: false, error, durationMs },
        );
        return;
      }
      case "done":
        if (this.outputs.length !== this.job.inputs.length) {
          this.settle({ kind: "protocol", error: "the sandbox finished with outputs missing" });
        } else {
          this.settle({ kind: "done" });
        }
        return;
      case "load":
        this.settle({ kind: "load", error });
        return;
      case "fatal":
        this.settle({ kind: "fatal", index: typeof msg.i === "number" ? msg.i : -1, error });
        return;
      default:
        this.settle({ kind: "protocol", error: "the sandbox sent an unknown message" });
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    clearTimeout(this.drainTimer);
    // Grandchildren may outlive the leader; the group kill reaches them.
    this.kill();
    for (const s of [this.child.stdout, this.child.stderr, this.child.stdio[3]])
      (s as Readable | null)?.destroy();

    const outcome = this.outcome;
    if (outcome?.kind === "aborted") {
      this.reject(outcome.error);
      return;
    }
    const base = {
      outputs: this.outputs,
      log: cleanLog(this.log.text()),
      durationMs: performance.now() - this.started,
    };
    const fail = (status: SandboxResult["status"], error: string) => this.resolve({ ...base, status, error });
    switch (outcome?.kind) {
      case "done":
        this.resolve({ ...base, status: "ok" });
        return;
      case "timeout":
        fail("timeout", `timed out after ${this.job.timeoutMs} ms (wall clock)`);
        return;
      case "load":
        fail("error", `the program failed to load: ${outcome.error}`);
        return;
      case "fatal":
        fail(
          "error",
          `uncaught error${outcome.index >= 0 ? " while running input " + outcome.index : ""}: ${outcome.error}`,
        );
        return;
      case "protocol":
        fail("error", outcome.error);
        return;
    }
    // The child died on its own before finishing.
    const { code, signal } = this.exit;
    if (HEAP_OOM.test(this.stderr.text())) {
      fail("crash", `heap limit of ${this.job.memoryMb} MB exceeded`);
    } else if (signal === "SIGXCPU") {
      fail("timeout", "CPU time limit exceeded");
    } else if (signal !== null) {
      fail("crash", `the sandbox process was killed by ${signal}`);
    } else {
      fail(
        "crash",
        `the sandbox process exited with code ${code} before returning every output (does the program call process.exit?)`,
      );
    }
  }
}

/** Keeps the last `limit` bytes written, cheaply. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}

  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.chunks.length > 1 && this.size - (this.chunks[0]?.length ?? 0) >= this.limit) {
      this.size -= this.chunks.shift()?.length ?? 0;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    const cut = all.subarray(Math.max(0, all.length - this.limit));
    // A cut may split a UTF-8 sequence; drop the broken lead.
    return cut.toString("utf8").replace(/^\uFFFD+/, "");
  }
}

/** V8's heap-OOM report (GC trace, native stack) says nothing the error does not, and would fill the log. */
function cleanLog(log: string): string {
  const gc = log.indexOf("<--- Last few GCs --->");
  return gc >= 0 ? log.slice(0, gc).trimEnd() : log;
}
