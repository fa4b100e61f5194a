import { constants } from "node:os";
import { SCRIPT_FILENAME } from "./bundle.ts";
import type { CallProfile, SandboxJob, SandboxOutput, SandboxResult } from "./sandbox.ts";

/*
 * The parent's side of the protocol with the sandbox child (runner.mjs
 * describes it in full): the job goes to the child's stdin as one JSON header
 * line and the inputs' JSON texts back to back; the child answers on fd 3 with
 * newline-delimited JSON messages.
 */

const MB = 1024 * 1024;
/** Protocol bytes beyond the outputs: the console (cut at 1 MB in the realm, escaped as JSON) and envelopes. */
const LOG_ALLOWANCE = 12 * MB;

const HEAP_OOM =
  /Reached heap limit|JavaScript heap out of memory|Ineffective mark-compacts near heap limit|Last few GCs|CALL_AND_RETRY_LAST|Fatal JavaScript out of memory|Fatal process out of memory/;

/** The longest host-call request, unless the job sets one. */
export const DEFAULT_MAX_REQUEST_CHARS = 1_000_000;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The job's bytes for the child's stdin; throws when an input is not JSON-serialisable or the host channel is malformed. */
export function encodeJob(job: SandboxJob, maxOutputBytes: number): { header: string; inputs: Buffer[] } {
  const host = job.host;
  if (host) {
    if (!IDENTIFIER.test(host.global))
      throw new Error(`host.global must be an identifier, got ${JSON.stringify(host.global)}`);
    if (!Number.isInteger(host.maxCalls) || host.maxCalls < 0)
      throw new Error("host.maxCalls must be an integer ≥ 0");
  }
  const inputs: Buffer[] = [];
  for (const input of job.inputs) {
    const text = JSON.stringify(input);
    if (text === undefined) throw new Error("an input is undefined");
    inputs.push(Buffer.from(text, "utf8"));
  }
  const header = JSON.stringify({
    script: job.script,
    filename: SCRIPT_FILENAME,
    sizes: inputs.map((t) => t.length),
    timeoutMs: job.timeoutMs,
    cpuMs: job.cpuMs ?? job.timeoutMs,
    maxOutputBytes,
    profile: job.profile === true,
    ...(host
      ? {
          host: {
            global: host.global,
            maxCalls: host.maxCalls,
            maxChars: host.maxRequestChars ?? DEFAULT_MAX_REQUEST_CHARS,
          },
        }
      : {}),
  });
  return { header: `${header}\n`, inputs };
}

/** Why a job is over (the first reason wins); the child may still be draining. */
export type Ending =
  | { kind: "done" }
  | { kind: "timeout" }
  | { kind: "cpu" }
  | { kind: "memory" }
  | { kind: "load"; error: string }
  | { kind: "fatal"; index: number; error: string }
  | { kind: "protocol"; error: string }
  | { kind: "aborted"; error: Error };

export interface ProtocolEvents {
  /** The child has its isolate prepared and waits for a job. */
  ready(): void;
  /** Console output of the candidate. */
  log(text: string): void;
  /** The child said the job is over, or broke the protocol. */
  end(ending: Ending): void;
  /** A host call (a job with `host`): call `n` of the job, made while input `input` ran. */
  call(n: number, input: number, request: string): void;
}

/**
 * Reads the child's messages from fd 3, collects the outputs in order and
 * reports the rest as events. Anything out of place (a malformed line, an
 * output out of order, speech before the job, more bytes than the output
 * limit allows) ends the job as a protocol error.
 */
export class ProtocolReader {
  readonly outputs: SandboxOutput[] = [];
  private bytes = 0;
  /** The line being received, in pieces. */
  private partial: string[] = [];
  private job: SandboxJob | undefined;
  private stopped = false;
  /** Host calls received in this job. */
  private calls = 0;

  constructor(
    private readonly maxOutputBytes: number,
    private readonly on: ProtocolEvents,
  ) {}

  /** The job the child was given: from now on it may send outputs. */
  start(job: SandboxJob): void {
    this.job = job;
  }

  /** The job is over: later messages are ignored. */
  stop(): void {
    this.stopped = true;
  }

  push(chunk: string): void {
    if (this.stopped) return;
    this.bytes += chunk.length;
    // The child's own cap keeps honest outputs below this; more means the protocol was abused.
    // Envelopes, error texts (a few KB each) and the console (1 MB in the realm, as JSON text)
    // come on top of the outputs.
    const inputs = this.job?.inputs.length ?? 0;
    if (this.bytes > this.maxOutputBytes + LOG_ALLOWANCE + inputs * 4096) {
      this.end({ kind: "protocol", error: "the sandbox sent more output than the limit allows" });
      return;
    }
    // Only the new chunk is searched: a 16 MB line arrives in many chunks.
    let from = 0;
    let nl = chunk.indexOf("\n");
    while (nl >= 0 && !this.stopped) {
      this.partial.push(chunk.slice(from, nl));
      const line = this.partial.join("");
      this.partial = [];
      // A host call is bounded on its own (count and size, below), so it does not use up
      // the output allowance: a job may make its calls and still send all its outputs.
      if (this.message(line) === "call") this.bytes -= line.length + 1;
      from = nl + 1;
      nl = chunk.indexOf("\n", from);
    }
    if (from < chunk.length) this.partial.push(chunk.slice(from));
  }

  private end(ending: Ending): void {
    this.stopped = true;
    this.on.end(ending);
  }

  private message(line: string): "call" | undefined {
    let msg: {
      t?: unknown;
      i?: unknown;
      ok?: unknown;
      ms?: unknown;
      cpu?: unknown;
      pcpu?: unknown;
      peak?: unknown;
      kept?: unknown;
      text?: unknown;
      value?: unknown;
      error?: unknown;
      n?: unknown;
      request?: unknown;
    };
    try {
      msg = JSON.parse(line);
    } catch {
      this.end({ kind: "protocol", error: "the sandbox sent a malformed message" });
      return;
    }
    if (msg.t === "ready") {
      this.on.ready();
      return;
    }
    if (this.job === undefined) {
      this.end({ kind: "protocol", error: "the sandbox spoke before it had a job" });
      return;
    }
    const error = typeof msg.error === "string" ? msg.error : "unknown error";
    switch (msg.t) {
      case "log":
        if (typeof msg.text === "string") this.on.log(msg.text);
        return;
      case "call":
        return this.call(msg);
      case "out": {
        if (msg.i !== this.outputs.length) {
          this.end({ kind: "protocol", error: "the sandbox sent outputs out of order" });
          return;
        }
        const durationMs = typeof msg.ms === "number" ? msg.ms : 0;
        const cpuMs = typeof msg.cpu === "number" ? msg.cpu : undefined;
        const timing: { durationMs: number; cpuMs?: number; profile?: CallProfile } =
          cpuMs === undefined ? { durationMs } : { durationMs, cpuMs };
        if (typeof msg.pcpu === "number" && typeof msg.peak === "number" && typeof msg.kept === "number")
          timing.profile = { cpuMs: msg.pcpu, peakBytes: msg.peak, retainedBytes: msg.kept };
        this.outputs.push(
          msg.ok === true ? { ok: true, value: msg.value, ...timing } : { ok: false, error, ...timing },
        );
        return;
      }
      case "done":
        if (this.outputs.length !== this.job.inputs.length) {
          this.end({ kind: "protocol", error: "the sandbox finished with outputs missing" });
        } else {
          this.end({ kind: "done" });
        }
        return;
      case "load":
        this.end({ kind: "load", error });
        return;
      case "fatal":
        this.end({ kind: "fatal", index: typeof msg.i === "number" ? msg.i : -1, error });
        return;
      case "timeout":
      case "cpu":
      case "memory":
        this.end({ kind: msg.t });
        return;
      default:
        this.end({ kind: "protocol", error: "the sandbox sent an unknown message" });
    }
  }

  /**
   * A host call as the realm sends it: numbered from 1 in order, within the job's count
   * and size (the realm refuses the rest before they cross, so anything else means the
   * child itself was subverted).
   */
  private call(msg: { n?: unknown; i?: unknown; request?: unknown }): "call" | undefined {
    const host = (this.job as SandboxJob).host;
    const max = host?.maxRequestChars ?? DEFAULT_MAX_REQUEST_CHARS;
    let error: string | undefined;
    if (!host) error = "the sandbox made a host call in a job without the channel";
    else if (msg.n !== this.calls + 1 || this.calls >= host.maxCalls)
      error = "the sandbox made a host call out of order or over its count";
    else if (typeof msg.request !== "string" || msg.request.length > max || typeof msg.i !== "number")
      error = "the sandbox made a malformed host call";
    if (error !== undefined) {
      this.end({ kind: "protocol", error });
      return undefined;
    }
    this.calls++;
    this.on.call(msg.n as number, msg.i as number, msg.request as string);
    return "call";
  }
}

/** How the child process ended, for a job it did not finish. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The end of its stderr (V8's heap-OOM report lands there). */
  stderr: string;
  /** Under bubblewrap a signal death arrives as exit code 128 + signal. */
  signalExitCodes: boolean;
}

/** The job's status and error: from the ending the child reported, else from how it died. */
export function verdict(
  ending: Exclude<Ending, { kind: "aborted" }> | undefined,
  job: SandboxJob,
  exit: Exit,
): { status: SandboxResult["status"]; error?: string } {
  const heap = `heap limit of ${job.memoryMb} MB exceeded`;
  const cpu = `CPU time limit of ${job.cpuMs ?? job.timeoutMs} ms exceeded`;
  switch (ending?.kind) {
    case "done":
      return { status: "ok" };
    case "timeout":
      return { status: "timeout", error: `timed out after ${job.timeoutMs} ms (wall clock)` };
    case "cpu":
      return { status: "timeout", error: cpu };
    case "memory":
      return { status: "crash", error: heap };
    case "load":
      return { status: "error", error: `the program failed to load: ${ending.error}` };
    case "fatal":
      return {
        status: "error",
        error: `uncaught error${ending.index >= 0 ? ` while running input ${ending.index}` : ""}: ${ending.error}`,
      };
    case "protocol":
      return { status: "error", error: ending.error };
  }
  // The child died on its own before finishing.
  let { code, signal } = exit;
  if (signal === null && code !== null && code > 128 && exit.signalExitCodes) {
    signal = signalName(code - 128);
    code = null;
  }
  if (HEAP_OOM.test(exit.stderr)) return { status: "crash", error: heap };
  if (signal === "SIGXCPU") return { status: "timeout", error: cpu };
  if (signal !== null) return { status: "crash", error: `the sandbox process was killed by ${signal}` };
  return {
    status: "crash",
    error: `the sandbox process exited with code ${code} before returning every output`,
  };
}

function signalName(n: number): NodeJS.Signals | null {
  for (const [name, value] of Object.entries(constants.signals))
    if (value === n) return name as NodeJS.Signals;
  return null;
}

/** V8's heap-OOM report (GC trace, native stack) says nothing the error does not, and would fill the log. */
export function cleanLog(log: string): string {
  const gc = log.indexOf("<--- Last few GCs --->");
  return gc >= 0 ? log.slice(0, gc).trimEnd() : log;
}
