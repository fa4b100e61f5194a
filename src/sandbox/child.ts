import { type ChildProcess, spawn } from "node:child_process";
import { tmpdir } from "node:os";
import type { Readable } from "node:stream";
import { killGroup, trackGroup, untrackGroup } from "./groups.ts";
import { cleanLog, type Ending, encodeJob, ProtocolReader, verdict } from "./protocol.ts";
import type { SandboxJob, SandboxResult } from "./sandbox.ts";
import { Tail } from "./tail.ts";

/** After the child exits, how long to wait for its pipes to drain (a grandchild may hold them). */
const DRAIN_MS = 2000;
/** A child that is not ready by then is broken (the machine may be loaded: generous). */
const START_TIMEOUT_MS = 30_000;

export interface ChildSettings {
  maxOutputBytes: number;
  logBytes: number;
  memoryMb: number;
  /** Under bubblewrap a signal death arrives as exit code 128 + signal. */
  signalExitCodes: boolean;
}

/**
 * One child process: started ahead of need, given one job, then killed with
 * its process group. `ready` settles when the child has its isolate prepared;
 * `result` when the job is over (it rejects only when the job was aborted or
 * the child could not serve one).
 */
export class Child {
  readonly ready: Promise<void>;
  readonly result: Promise<SandboxResult>;
  private markReady!: () => void;
  private failStart!: (e: Error) => void;
  private resolve!: (r: SandboxResult) => void;
  private reject!: (e: Error) => void;
  private readonly child: ChildProcess;
  private readonly protocol: ProtocolReader;
  private job: SandboxJob | undefined;
  private started = 0;
  private readonly log: Tail;
  private readonly stderr: Tail;
  private exit: { code: number | null; signal: NodeJS.Signals | null } = { code: null, signal: null };
  private isReady = false;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  private startTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  /** Why the job is over, once known; the child may still be draining. */
  private ending: Ending | undefined;

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
    this.protocol = new ProtocolReader(settings.maxOutputBytes, {
      ready: () => {
        this.isReady = true;
        clearTimeout(this.startTimer);
        this.markReady();
      },
      log: (text) => this.log.push(Buffer.from(text, "utf8")),
      end: (ending) => this.settle(ending),
      call: (n, input, request) => this.hostCall(n, input, request),
    });

    const [cmd, ...args] = command as [string, ...string[]];
    this.child = spawn(cmd, args, {
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      detached: true,
      // Nothing of the engine's environment (API keys) reaches the candidate.
      env: {},
      cwd: tmpdir(),
      windowsHide: true,
    });
    if (this.child.pid !== undefined) trackGroup(this.child.pid);
    this.child.on("error", (err) =>
      this.abort(new Error(`could not start the sandbox process: ${err.message}`)),
    );
    this.child.on("exit", (code, signal) => {
      this.exit = { code, signal };
      if (this.child.pid !== undefined) untrackGroup(this.child.pid);
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
    proto?.on("data", (text: string) => this.protocol.push(text));
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
    this.protocol.start(job);
    this.claim();
    this.started = performance.now();
    if (this.ending !== undefined || this.finished) {
      this.finish();
      return this.result;
    }
    let encoded: { header: string; inputs: Buffer[] };
    try {
      encoded = encodeJob(job, this.settings.maxOutputBytes);
    } catch (err) {
      this.abort(new Error(`the job's inputs are not JSON-serialisable: ${(err as Error).message}`));
      return this.result;
    }
    this.timer = setTimeout(() => this.settle({ kind: "timeout" }), job.timeoutMs);
    const stdin = this.child.stdin;
    stdin?.write(encoded.header);
    for (const t of encoded.inputs) stdin?.write(t);
    // With a host channel, stdin carries the answers to the job's calls; it closes with the job.
    if (!job.host) stdin?.end();
    return this.result;
  }

  /**
   * Answers host call `n` through the job's handler, on stdin, unless the job is over by
   * then. The handler's failure (a throw, a rejection, a non-string) is the call's error:
   * the candidate sees it, the engine does not fall over.
   */
  private hostCall(n: number, input: number, request: string): void {
    const host = this.job?.host;
    if (!host) return;
    let answer: Promise<string>;
    try {
      answer = Promise.resolve(host.call(request, input));
    } catch (err) {
      answer = Promise.reject(err);
    }
    answer
      .then(
        (text: unknown) =>
          typeof text === "string"
            ? { n, ok: true, text }
            : { n, ok: false, error: "the host answered with no text" },
        (err: unknown) => ({ n, ok: false, error: err instanceof Error ? err.message : String(err) }),
      )
      .then((reply) => {
        if (this.ending === undefined && !this.finished)
          this.child.stdin?.write(`${JSON.stringify(reply)}\n`);
      });
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
  private settle(ending: Ending): void {
    if (this.ending === undefined) this.ending = ending;
    this.protocol.stop();
    clearTimeout(this.timer);
    this.kill();
    // Every output is in: no need to wait for the process to be reaped (its console output
    // was flushed before "done"). A child that never started emits no close either.
    if (this.ending.kind === "done" || this.child.pid === undefined) this.finish();
  }

  private kill(): void {
    const pid = this.child.pid;
    if (pid !== undefined) killGroup(pid);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    clearTimeout(this.startTimer);
    clearTimeout(this.drainTimer);
    // Grandchildren may outlive the leader; the group kill reaches them.
    this.kill();
    if (this.child.pid !== undefined) untrackGroup(this.child.pid);
    for (const s of [this.child.stdout, this.child.stderr, this.child.stdio[3]])
      (s as Readable | null)?.destroy();
    this.child.stdin?.destroy();
    if (!this.isReady) this.failStart(new Error("the sandbox process ended before it was ready"));

    const ending = this.ending;
    const job = this.job;
    if (ending?.kind === "aborted") {
      this.reject(ending.error);
      return;
    }
    if (job === undefined) {
      this.reject(new Error("the sandbox process ended before it had a job"));
      return;
    }
    const exit = { ...this.exit, stderr: this.stderr.text(), signalExitCodes: this.settings.signalExitCodes };
    this.resolve({
      outputs: this.protocol.outputs,
      log: cleanLog(this.log.text()),
      durationMs: performance.now() - this.started,
      ...verdict(ending, job, exit),
    });
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `killed by ${signal}` : `exit code ${code}`;
}
