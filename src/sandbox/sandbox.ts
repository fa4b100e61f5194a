/**
 * The sandbox runs untrusted code. A job is one bundled script (the candidate
 * plus the task's driver) and the workload inputs; the sandbox calls the
 * driver once per input and returns the outputs, or why there are none.
 */
export interface SandboxJob {
  /** An IIFE script that sets `globalThis.__adrs = { run(input) }` (see bundle.ts). */
  script: string;
  inputs: unknown[];
  /** Wall-clock limit for the whole job, counted from the moment the job is handed to its process. */
  timeoutMs: number;
  /** Heap limit of the candidate's isolate (the child process gets its own, separate budget). */
  memoryMb: number;
  /** CPU-time limit for the whole job (every thread of the process); default `timeoutMs`. */
  cpuMs?: number;
  /**
   * Profile every call (`adrs audit`): the process's CPU time and the
   * isolate's heap, with a full collection after each call (a few ms a call).
   */
  profile?: boolean;
  /**
   * The host-call channel: a function `global` on the isolate's global object,
   * `(request: string) => Promise<string>`, whose requests `call` answers in the
   * parent. Absent: no such function, and nothing leaves the realm but outputs
   * and the console. The sandbox only carries strings; what they mean is the caller's.
   */
  host?: HostChannel;
}

/** A job's way out of the realm, to a function of the parent (see `SandboxJob.host`). */
export interface HostChannel {
  /** The isolate's global the function is installed as (an identifier). */
  global: string;
  /** Calls that may cross in this job; later ones are refused in the realm, before they cross. */
  maxCalls: number;
  /** The longest request, in characters (default 1,000,000). */
  maxRequestChars?: number;
  /**
   * Answers one request; `input` is the index of the input that was running when it was
   * made (-1 while the script loaded). A rejection reaches the candidate as an Error with
   * its message. The job's wall clock runs while it waits (its CPU limit does not).
   */
  call(request: string, input: number): Promise<string>;
}

/** One call as profiled (`profile` jobs). */
export interface CallProfile {
  /**
   * CPU time of the whole child process during the call (every thread: the
   * isolate's, the compiler's, the collector's). Unlike `cpuMs`, which
   * isolated-vm times like a wall clock, it does not grow when the machine is busy.
   */
  cpuMs: number;
  /** Heap the isolate holds (committed, plus array buffers) before any collection: V8 grows it to the call's peak and shrinks it lazily. */
  peakBytes: number;
  /** Heap still in use after a full collection: what the program keeps between calls. */
  retainedBytes: number;
}

interface Measured {
  durationMs: number;
  cpuMs?: number;
  profile?: CallProfile;
}

export type SandboxOutput =
  | ({ ok: true; value: unknown } & Measured)
  | ({ ok: false; error: string } & Measured);

export interface SandboxResult {
  /** ok: every input was run (each output may still have failed); otherwise the job died. */
  status: "ok" | "timeout" | "crash" | "error";
  outputs: SandboxOutput[];
  error?: string;
  /** Last few KB of the candidate's console output, for feedback. */
  log: string;
  durationMs: number;
}

/**
 * An external evaluator run: a command of the task (trusted) that runs the
 * candidate's file (untrusted) under the sandbox's limits and prints JSON.
 */
export interface CommandJob {
  /** The command; `{name}` placeholders are replaced by `files` paths and `vars` values. */
  argv: readonly string[];
  /** Working directory: the task folder, visible read-only. */
  cwd: string;
  /** Files written to a fresh job folder (read-only inside the sandbox); `{key}` in argv becomes the path. */
  files: Record<string, { name: string; content: string }>;
  /** Plain values for `{key}` placeholders. */
  vars?: Record<string, string>;
  timeoutMs: number;
  /** Address-space limit of the command and everything it starts. */
  memoryMb: number;
  /** CPU-time limit of each process of the command; default `timeoutMs`. */
  cpuMs?: number;
}

export interface CommandResult {
  /** ok: exited 0 within the limits; the JSON on stdout is the caller's to judge. */
  status: "ok" | "timeout" | "crash" | "error";
  stdout: string;
  error?: string;
  /** Last few KB of stderr. */
  log: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
}

/** Which operating-system protection wraps each child process. */
export interface Protection {
  /** bwrap: bubblewrap namespaces; permission: Node's permission model (JS jobs only); none: limits only. */
  kind: "bwrap" | "permission" | "none";
  /** One line for the log, e.g. "bubblewrap: no network, read-only file system, private /tmp". */
  summary: string;
}

export interface Sandbox {
  run(job: SandboxJob): Promise<SandboxResult>;
  /** External evaluators; sandboxes without it cannot evaluate tasks that declare `external`. */
  runCommand?(job: CommandJob): Promise<CommandResult>;
  close(): Promise<void>;
}
