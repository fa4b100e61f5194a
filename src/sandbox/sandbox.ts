/**
 * The sandbox runs untrusted code. A job is one bundled script (the candidate
 * plus the task's driver) and the workload inputs; the sandbox calls the
 * driver once per input and returns the outputs, or why there are none.
 */
export interface SandboxJob {
  /** An IIFE script that sets `globalThis.__adrs = { run(input) }` (see bundle.ts). */
  script: string;
  inputs: unknown[];
  /** Wall-clock limit for the whole job. */
  timeoutMs: number;
  /** Heap limit of the child process. */
  memoryMb: number;
}

export type SandboxOutput =
  | { ok: true; value: unknown; durationMs: number }
  | { ok: false; error: string; durationMs: number };

export interface SandboxResult {
  /** ok: every input was run (each output may still have failed); otherwise the job died. */
  status: "ok" | "timeout" | "crash" | "error";
  outputs: SandboxOutput[];
  error?: string;
  /** Last few KB of the candidate's console output, for feedback. */
  log: string;
  durationMs: number;
}

export interface Sandbox {
  run(job: SandboxJob): Promise<SandboxResult>;
  close(): Promise<void>;
}
