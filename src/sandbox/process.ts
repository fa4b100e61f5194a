import { type ChildProcess, spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, constants, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { SCRIPT_FILENAME } from "./bundle.ts";
import { Tail } from "./tail.ts";
import { runCommandJob } from "./command.ts";
import {
  bwrapArgv,
  findExecutable,
  installPrefix,
  type KernelLimits,
  limitArgv,
  type ProtectionChoice,
  probe,
  SUMMARY,
} from "./protection.ts";
import type {
  CommandJob,
  CommandResult,
  Protection,
  Sandbox,
  SandboxJob,
  SandboxOutput,
  SandboxResult,
} from "./sandbox.ts";

export interface ProcessSandboxOptions {
  /** Jobs that run at once; more wait in line (their clock starts when they start). Default: cores. */
  concurrency?: number;
  /**
   * Child processes kept started and waiting (each serves one job, then a new one
   * takes its place), so a job does not wait for a process to boot. Default:
   * `concurrency`; 0 starts a process per job.
   */
  warm?: number;
  /** Combined size of all outputs of one job, as JSON. Default 16 MB. */
  maxOutputBytes?: number;
  /** How much of the child's stdout/stderr to keep for the log. Default 4 KB. */
  logBytes?: number;
  /**
   * Also set kernel limits on each child: CPU time (a backstop for a child that
   * outlives its parent while spinning) and address space. Default true on Linux.
   */
  cpuLimit?: boolean;
  /** The node binary; default: the running one. */
  nodePath?: string;
  /** Operating-system protection: `auto` (default) uses bubblewrap where it works, else the fallback. */
  protection?: ProtectionChoice;
  /** Where the one line saying which protection is in force goes; default stderr. */
  log?: (line: string) => void;
  /** A tag on each child's command line (`--label=…`), to find them in `ps`. */
  label?: string;
}

const RUNNER = realpathSync(join(import.meta.dirname, "runner.mjs"));
/** isolated-vm's entry, located here but loaded only in the child. */
const IVM_ENTRY = createRequire(import.meta.url).resolve("isolated-vm");
const IVM_DIR = dirname(IVM_ENTRY);
const MB = 1024 * 1024;
/** Profiles (memory limit, CPU backstop) that keep waiting children at once. */
const MAX_PROFILES = 2;
/** Protocol bytes beyond the outputs: the console (cut at 1 MB in the realm, escaped as JSON) and envelopes. */
const LOG_ALLOWANCE = 12 * MB;
const GB = 1024 * MB;
/** After the child exits, how long to wait for its pipes to drain (a grandchild may hold them). */
const DRAIN_MS = 2000;
/** A child that is not ready by then is broken (the machine may be loaded: generous). */
const START_TIMEOUT_MS = 30_000;

const HEAP_OOM =
  /Reached heap limit|JavaScript heap out of memory|Ineffective mark-compacts near heap limit|Last few GCs|CALL_AND_RETRY_LAST|Fatal JavaScript out of memory|Fatal process out of memory/;

/** Every child this process started and has not seen die: killed if the engine exits. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function track(pid: number): void {
  liveGroups.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // process.exit() and a normal end; SIGKILL and signals are covered inside the child
    // (bubblewrap's --die-with-parent, the runner's parent watchdog, stdin EOF).
    process.on("exit", () => {
      for (const pid of liveGroups) killGroup(pid);
    });
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // The group is gone already.
  }
}

/** Protection in force, probed once per process and choice. */
const detected = new Map<string, Promise<Detected>>();
const announced = new Set<string>();

interface Detected {
  protection: Protection;
  bwrap?: string;
}

/**
 * Runs each job in a fresh `node` child process, and the candidate inside an
 * isolated-vm isolate in that child: a crash, a heap blow-up or an endless
 * loop ends that child, never the engine. Each child is the leader of its own
 * process group, so a limit kills whatever it spawned too; where bubblewrap
 * works, the child also has no network and a read-only view of the system.
 */
export class ProcessSandbox implements Sandbox {
  private readonly concurrency: number;
  private readonly warm: number;
  private readonly maxOutputBytes: number;
  private readonly logBytes: number;
  private readonly cpuLimit: boolean;
  private readonly nodePath: string;
  private readonly choice: ProtectionChoice;
  private readonly log: (line: string) => void;
  private readonly label: string | undefined;
  private readonly waiting: Array<() => void> = [];
  private readonly live = new Set<{ abort(error: Error): void; result: Promise<unknown> }>();
  /** Waiting children by profile, most recently used profile last. */
  private readonly idle = new Map<string, Child[]>();
  private running = 0;
  private closed = false;
  private detected: Detected | undefined;

  constructor(options: ProcessSandboxOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? availableParallelism());
    this.warm = Math.max(0, options.warm ?? this.concurrency);
    this.maxOutputBytes = options.maxOutputBytes ?? 16 * MB;
    this.logBytes = options.logBytes ?? 4096;
    this.cpuLimit = (options.cpuLimit ?? true) && process.platform === "linux";
    this.nodePath = realpathSync(options.nodePath ?? process.execPath);
    this.choice = options.protection ?? "auto";
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.label = options.label;
  }

  /** The protection in force, once known (after `ready()` or the first job). */
  get protection(): Protection | undefined {
    return this.detected?.protection;
  }

  /** Finds out which protection works here (once per process) and says it once in the log. */
  async ready(): Promise<Protection> {
    if (!this.detected) {
      const key = `${this.choice}|${this.nodePath}`;
      let pending = detected.get(key);
      if (!pending) {
        pending = detect(this.choice, this.nodePath);
        detected.set(key, pending);
        pending.catch(() => detected.delete(key));
      }
      this.detected = await pending;
      const { kind, summary } = this.detected.protection;
      if (!announced.has(kind)) {
        announced.add(kind);
        this.log(`sandbox: ${summary}`);
      }
    }
    return this.detected.protection;
  }

  async run(job: SandboxJob): Promise<SandboxResult> {
    return this.withSlot(async () => {
      await this.ready();
      if (this.closed) throw closedError();
      const profile = this.profile(job);
      let child = this.take(profile);
      child.claim();
      this.live.add(child);
      try {
        try {
          await child.ready;
        } catch {
          if (this.closed) throw closedError();
          // A waiting child died (the machine's OOM killer, say): one fresh try, then give up.
          child.dispose();
          this.live.delete(child);
          child = this.spawn(profile);
          child.claim();
          this.live.add(child);
          await child.ready.catch((e: unknown) => {
            throw this.closed ? closedError() : e instanceof Error ? e : new Error(String(e));
          });
        }
        if (this.closed) throw closedError();
        return await child.start(job);
      } finally {
        this.live.delete(child);
        // The replacement starts once this job's answer is on its way: starting a process
        // blocks this thread for a moment, which would delay the answer.
        setImmediate(() => this.refill(profile));
      }
    });
  }

  /** Runs an external evaluator's command under the same limits and protection. */
  async runCommand(job: CommandJob): Promise<CommandResult> {
    return this.withSlot(async () => {
      const detected = await this.detect();
      if (this.closed) throw closedError();
      let abort!: (error: Error) => void;
      const aborted = new Promise<never>((_, reject) => {
        abort = reject;
      });
      aborted.catch(() => undefined);
      const result = runCommandJob(job, {
        bwrap: detected.protection.kind === "bwrap" ? detected.bwrap : undefined,
        maxOutputBytes: this.maxOutputBytes,
        logBytes: this.logBytes,
        kernelLimits: this.cpuLimit,
        onSpawn: track,
        onExit: (pid) => liveGroups.delete(pid),
        aborted,
      });
      const entry = { abort, result };
      this.live.add(entry);
      try {
        return await result;
      } finally {
        this.live.delete(entry);
      }
    });
  }

  /** Resolves once every waiting child has booted (benchmarks; an engine never needs to wait). */
  async warmed(): Promise<void> {
    const all = [...this.idle.values()].flat();
    // Waiting children do not hold the event loop open: this wait must.
    const hold = setInterval(() => undefined, 1000);
    try {
      await Promise.all(all.map((c) => c.ready.catch(() => undefined)));
    } finally {
      clearInterval(hold);
    }
  }

  /** Kills every live child; running and waiting jobs reject with "closed". */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
    for (const list of this.idle.values()) for (const c of list) c.dispose();
    this.idle.clear();
    const settled = [...this.live].map((j) => j.result.catch(() => undefined));
    for (const j of this.live) j.abort(closedError());
    await Promise.all(settled);
  }

  private async detect(): Promise<Detected> {
    await this.ready();
    return this.detected as Detected;
  }

  private async withSlot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error("ProcessSandbox is closed");
    if (this.running >= this.concurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.closed) throw new Error("ProcessSandbox is closed");
    }
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private profile(job: SandboxJob): Profile {
    const memoryMb = Math.max(8, Math.floor(job.memoryMb));
    const cpuMs = job.cpuMs ?? job.timeoutMs;
    // The kernel's limit is a backstop behind the runner's own CPU watch and the wall clock;
    // rounded up to a power of two so that nearby limits share waiting children.
    return { memoryMb, cpuSeconds: 2 ** Math.ceil(Math.log2((2 * cpuMs) / 1000 + 10)) };
  }

  /** A waiting child for this profile, or a new one. */
  private take(profile: Profile): Child {
    return this.waitingList(profile).shift() ?? this.spawn(profile);
  }

  /** Starts children until `warm` of them wait for this profile. */
  private refill(profile: Profile): void {
    const list = this.waitingList(profile);
    while (!this.closed && list.length < this.warm) {
      const spare = this.spawn(profile);
      list.push(spare);
      spare.ready.catch(() => {
        const at = list.indexOf(spare);
        if (at >= 0) list.splice(at, 1);
      });
    }
  }

  /** The waiting children of a profile, now the most recently used one. */
  private waitingList(profile: Profile): Child[] {
    const key = `${profile.memoryMb}/${profile.cpuSeconds}`;
    const list = this.idle.get(key) ?? [];
    this.idle.delete(key);
    this.idle.set(key, list);
    // Children of profiles no longer in use only take memory.
    while (this.idle.size > MAX_PROFILES) {
      const [oldest, stale] = this.idle.entries().next().value as [string, Child[]];
      for (const c of stale) c.dispose();
      this.idle.delete(oldest);
    }
    return list;
  }

  private spawn(profile: Profile): Child {
    const { protection, bwrap } = this.detected as Detected;
    const argv = childArgv(this.nodePath, profile, protection.kind, this.label);
    const kernel: KernelLimits = {
      cpuSeconds: profile.cpuSeconds,
      // Node reserves ~1 GB of address space to start; this only stops runaway native allocations.
      addressBytes: 4 * GB + 3 * profile.memoryMb * MB,
    };
    const confined =
      protection.kind === "bwrap" && bwrap
        ? bwrapArgv(bwrap, {
            argv,
            readOnly: nodeReadOnly(this.nodePath),
            cwd: "/tmp",
            env: {},
            tmpMb: 16,
          })
        : argv;
    const command = this.cpuLimit ? [...limitArgv(kernel), ...confined] : confined;
    return new Child(command, {
      maxOutputBytes: this.maxOutputBytes,
      logBytes: this.logBytes,
      memoryMb: profile.memoryMb,
      signalExitCodes: protection.kind === "bwrap",
    });
  }
}

interface Profile {
  memoryMb: number;
  cpuSeconds: number;
}

/** What the node child needs to see: node itself, the runner and isolated-vm. */
function nodeReadOnly(nodePath: string): string[] {
  return [installPrefix(nodePath), RUNNER, IVM_DIR];
}

function childArgv(nodePath: string, profile: Profile, kind: Protection["kind"], label?: string): string[] {
  const args = [
    nodePath,
    // isolated-vm on Node 20: V8's shared-heap snapshot crashes isolates made with other snapshots.
    "--no-node-snapshot",
    // The child's own heap holds the job and the outputs, never the candidate's objects.
    `--max-old-space-size=${2 * profile.memoryMb + 128}`,
  ];
  if (kind === "permission") {
    args.push(
      "--experimental-permission",
      `--allow-fs-read=${RUNNER}`,
      `--allow-fs-read=${IVM_DIR}/*`,
      "--allow-addons",
      "--disable-warning=ExperimentalWarning",
      "--disable-warning=SecurityWarning",
    );
  }
  args.push(RUNNER, `--ivm=${IVM_ENTRY}`, `--memory-mb=${profile.memoryMb}`);
  if (label) args.push(`--label=${label}`);
  return args;
}

async function detect(choice: ProtectionChoice, nodePath: string): Promise<Detected> {
  const fallback = (why: string): Detected => ({
    protection: { kind: "permission", summary: `${SUMMARY.permission} (${why})` },
  });
  if (choice === "none") return { protection: { kind: "none", summary: SUMMARY.none } };
  if (choice === "permission") return { protection: { kind: "permission", summary: SUMMARY.permission } };
  const bwrap = findExecutable("bwrap") ?? findExecutable("bwrap", "/usr/bin:/bin:/usr/local/bin");
  if (!bwrap) {
    if (choice === "bwrap") throw new Error("protection bwrap: bubblewrap (bwrap) is not installed");
    return fallback("bwrap not found");
  }
  const test = bwrapArgv(bwrap, {
    argv: [nodePath, "--no-node-snapshot", "-e", "0"],
    readOnly: nodeReadOnly(nodePath),
    cwd: "/tmp",
    env: {},
    tmpMb: 1,
  });
  const result = await probe(test);
  if (result.ok) return { protection: { kind: "bwrap", summary: SUMMARY.bwrap }, bwrap };
  const why = result.stderr.split("\n")[0] || "it failed to start";
  if (choice === "bwrap") throw new Error(`protection bwrap: bubblewrap does not work here: ${why}`);
  return fallback(`bwrap: ${why}`);
}

interface ChildSettings {
  maxOutputBytes: number;
  logBytes: number;
  memoryMb: number;
  /** Under bubblewrap a signal death arrives as exit code 128 + signal. */
  signalExitCodes: boolean;
}

type Outcome =
  | { kind: "done" }
  | { kind: "timeout" }
  | { kind: "cpu" }
  | { kind: "memory" }
  | { kind: "load"; error: string }
  | { kind: "fatal"; index: number; error: string }
  | { kind: "protocol"; error: string }
  | { kind: "aborted"; error: Error };

/**
 * One child process: started ahead of need, given one job, then killed with
 * its process group. `ready` settles when the child has its isolate prepared.
 */
class Child {
  readonly ready: Promise<void>;
  readonly result: Promise<SandboxResult>;
  private markReady!: () => void;
  private failStart!: (e: Error) => void;
  private resolve!: (r: SandboxResult) => void;
  private reject!: (e: Error) => void;
  private readonly child: ChildProcess;
  private job: SandboxJob | undefined;
  private started = 0;
  private readonly outputs: SandboxOutput[] = [];
  private readonly log: Tail;
  private readonly stderr: Tail;
  private protocolBytes = 0;
  private exit: { code: number | null; signal: NodeJS.Signals | null } = { code: null, signal: null };
  /** The protocol line being received, in pieces. */
  private partial: string[] = [];
  private isReady = false;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  private startTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  /** Why the job is over, once known; the child may still be draining. */
  private outcome: Outcome | undefined;

  constructor(
    command: string[],
    private readonly settings: ChildSettings,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.markReady = resolve;
      this.failStart = reject;
    });
    this.ready.catch(() => undefined);
    this.result = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.result.catch(() => undefined);
    this.log = new Tail(settings.logBytes);
    this.stderr = new Tail(settings.logBytes);

    const [cmd, ...args] = command as [string, ...string[]];
    this.child = spawn(cmd, args, {
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      detached: true,
      // Nothing of the engine's environment (API keys) reaches the candidate.
      env: {},
      cwd: tmpdir(),
      windowsHide: true,
    });
    if (this.child.pid !== undefined) track(this.child.pid);
    this.child.on("error", (err) =>
      this.abort(new Error(`could not start the sandbox process: ${err.message}`)),
    );
    this.child.on("exit", (code, signal) => {
      this.exit = { code, signal };
      if (this.child.pid !== undefined) liveGroups.delete(this.child.pid);
      if (!this.isReady) {
        this.failStart(new Error(`the sandbox process failed to start (${describeExit(code, signal)})`));
      }
      if (!this.finished) this.drainTimer ??= setTimeout(() => this.finish(), DRAIN_MS);
    });
    this.child.on("close", () => this.finish());
    this.startTimer = setTimeout(() => {
      if (!this.isReady) this.abort(new Error(`the sandbox process was not ready in ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    this.startTimer.unref();

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
    for (const s of [stdout, stderr, proto, this.child.stdin]) s?.on("error", () => undefined);
    // A waiting child must not keep the engine's process alive (a caller that never closes
    // the sandbox still exits; the exit hook kills the child then). A job refs it again.
    this.setRef(false);
  }

  /** A job waits on this child: it keeps the engine's process alive from now on. */
  claim(): void {
    this.setRef(true);
  }

  private setRef(on: boolean): void {
    if (on) this.child.ref();
    else this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr, this.child.stdio[3]]) {
      const socket = s as { ref?: () => void; unref?: () => void } | null;
      if (on) socket?.ref?.();
      else socket?.unref?.();
    }
  }

  /** Hands the job over; the wall clock starts now. */
  start(job: SandboxJob): Promise<SandboxResult> {
    this.job = job;
    this.claim();
    this.started = performance.now();
    if (this.outcome !== undefined || this.finished) {
      this.finish();
      return this.result;
    }
    let header: string;
    const texts: Buffer[] = [];
    try {
      for (const input of job.inputs) {
        const text = JSON.stringify(input);
        if (text === undefined) throw new Error("an input is undefined");
        texts.push(Buffer.from(text, "utf8"));
      }
      header = JSON.stringify({
        script: job.script,
        filename: SCRIPT_FILENAME,
        sizes: texts.map((t) => t.length),
        timeoutMs: job.timeoutMs,
        cpuMs: job.cpuMs ?? job.timeoutMs,
        maxOutputBytes: this.settings.maxOutputBytes,
      });
    } catch (err) {
      this.abort(new Error(`the job's inputs are not JSON-serialisable: ${(err as Error).message}`));
      return this.result;
    }
    this.timer = setTimeout(() => this.settle({ kind: "timeout" }), job.timeoutMs);
    const stdin = this.child.stdin;
    stdin?.write(`${header}\n`);
    for (const t of texts) stdin?.write(t);
    stdin?.end();
    return this.result;
  }

  /** Kills a child that will not be used. */
  dispose(): void {
    this.abort(new Error("the sandbox process was not needed"));
  }

  abort(error: Error): void {
    if (!this.isReady) this.failStart(error);
    this.settle({ kind: "aborted", error });
  }

  /** Records why the job is over (first reason wins) and kills the process group. */
  private settle(outcome: Outcome): void {
    if (this.outcome === undefined) this.outcome = outcome;
    clearTimeout(this.timer);
    this.kill();
    // Every output is in: no need to wait for the process to be reaped (its console output
    // was flushed before "done"). A child that never started emits no close either.
    if (this.outcome.kind === "done" || this.child.pid === undefined) this.finish();
  }

  private kill(): void {
    const pid = this.child.pid;
    if (pid !== undefined) killGroup(pid);
  }

  private onProtocol(chunk: string): void {
    this.protocolBytes += chunk.length;
    // The child's own cap keeps honest outputs below this; more means the protocol was abused.
    // Envelopes, error texts (a few KB each) and the console (1 MB in the realm, as JSON text)
    // come on top of the outputs.
    const inputs = this.job?.inputs.length ?? 0;
    if (this.protocolBytes > this.settings.maxOutputBytes + LOG_ALLOWANCE + inputs * 4096) {
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
    let msg: {
      t?: unknown;
      i?: unknown;
      ok?: unknown;
      ms?: unknown;
      cpu?: unknown;
      text?: unknown;
      value?: unknown;
      error?: unknown;
    };
    try {
      msg = JSON.parse(line);
    } catch {
      this.settle({ kind: "protocol", error: "the sandbox sent a malformed message" });
      return;
    }
    if (msg.t === "ready") {
      this.isReady = true;
      clearTimeout(this.startTimer);
      this.markReady();
      return;
    }
    if (this.job === undefined) {
      this.settle({ kind: "protocol", error: "the sandbox spoke before it had a job" });
      return;
    }
    const error = typeof msg.error === "string" ? msg.error : "unknown error";
    switch (msg.t) {
      case "log":
        if (typeof msg.text === "string") this.log.push(Buffer.from(msg.text, "utf8"));
        return;
      case "out": {
        if (msg.i !== this.outputs.length) {
          this.settle({ kind: "protocol", error: "the sandbox sent outputs out of order" });
          return;
        }
        const durationMs = typeof msg.ms === "number" ? msg.ms : 0;
        const cpuMs = typeof msg.cpu === "number" ? msg.cpu : undefined;
        const timing = cpuMs === undefined ? { durationMs } : { durationMs, cpuMs };
        this.outputs.push(
          msg.ok === true ? { ok: true, value: msg.value, ...timing } : { ok: false, error, ...timing },
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
      case "timeout":
      case "cpu":
      case "memory":
        this.settle({ kind: msg.t });
        return;
      default:
        this.settle({ kind: "protocol", error: "the sandbox sent an unknown message" });
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    clearTimeout(this.startTimer);
    clearTimeout(this.drainTimer);
    // Grandchildren may outlive the leader; the group kill reaches them.
    this.kill();
    if (this.child.pid !== undefined) liveGroups.delete(this.child.pid);
    for (const s of [this.child.stdout, this.child.stderr, this.child.stdio[3]])
      (s as Readable | null)?.destroy();
    if (!this.isReady) this.failStart(new Error("the sandbox process ended before it was ready"));

    const outcome = this.outcome;
    const job = this.job;
    if (outcome?.kind === "aborted") {
      this.reject(outcome.error);
      return;
    }
    if (job === undefined) {
      this.reject(new Error("the sandbox process ended before it had a job"));
      return;
    }
    const base = {
      outputs: this.outputs,
      log: cleanLog(this.log.text()),
      durationMs: performance.now() - this.started,
    };
    const fail = (status: SandboxResult["status"], error: string) => this.resolve({ ...base, status, error });
    const heap = `heap limit of ${job.memoryMb} MB exceeded`;
    const cpu = `CPU time limit of ${job.cpuMs ?? job.timeoutMs} ms exceeded`;
    switch (outcome?.kind) {
      case "done":
        this.resolve({ ...base, status: "ok" });
        return;
      case "timeout":
        fail("timeout", `timed out after ${job.timeoutMs} ms (wall clock)`);
        return;
      case "cpu":
        fail("timeout", cpu);
        return;
      case "memory":
        fail("crash", heap);
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
    let { code, signal } = this.exit;
    if (signal === null && code !== null && code > 128 && this.settings.signalExitCodes) {
      signal = signalName(code - 128);
      code = null;
    }
    if (HEAP_OOM.test(this.stderr.text())) {
      fail("crash", heap);
    } else if (signal === "SIGXCPU") {
      fail("timeout", cpu);
    } else if (signal !== null) {
      fail("crash", `the sandbox process was killed by ${signal}`);
    } else {
      fail("crash", `the sandbox process exited with code ${code} before returning every output`);
    }
  }
}

function closedError(): Error {
  return new Error("ProcessSandbox closed while the job was running");
}

function signalName(n: number): NodeJS.Signals | null {
  for (const [name, value] of Object.entries(constants.signals))
    if (value === n) return name as NodeJS.Signals;
  return null;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `killed by ${signal}` : `exit code ${code}`;
}

/** V8's heap-OOM report (GC trace, native stack) says nothing the error does not, and would fill the log. */
function cleanLog(log: string): string {
  const gc = log.indexOf("<--- Last few GCs --->");
  return gc >= 0 ? log.slice(0, gc).trimEnd() : log;
}
