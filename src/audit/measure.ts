import type { Metrics } from "../core/types.ts";
import type { Limits } from "../evaluate/candidate.ts";
import { errorMessage, validateCheck } from "../evaluate/validate.ts";
import { bundleCandidate, mapScriptLocations } from "../sandbox/bundle.ts";
import type { Sandbox, SandboxJob, SandboxOutput } from "../sandbox/sandbox.ts";
import type { Task } from "../task/contract.ts";
import type { AuditProbe } from "./probes.ts";

/** What one program did on one probe: its first call judged by the task, both calls measured. */
export interface ProbeRun {
  /** ok: a valid output; invalid: the task rejected it; error: it threw; timeout, crash: the job died. */
  status: "ok" | "invalid" | "error" | "timeout" | "crash";
  error?: string;
  /** The task's metric (`task.metric.name`) on a valid output. */
  value?: number;
  metrics: Metrics;
  wallMs?: number;
  /** The least process CPU time of the calls (two; three on a scale probe): steadier than wall time on a loaded machine. */
  cpuMs?: number;
  /** Heap held after the first call in a fresh isolate (bytes): the call's peak, as V8 keeps it. */
  peakBytes?: number;
  /** Both calls returned the same output; null when they did not both return one. */
  deterministic: boolean | null;
}

/** A program ready to run: the bundle, or why it does not compile. */
export type Runnable = Ready | { compileError: string };
/** A program that compiled: its bundle, and how to map its error locations back to its source. */
export type Ready = { script: string; map: (text: string) => string };

export async function prepare(task: Task, code: string, sourcefile: string): Promise<Runnable> {
  const bundle = await bundleCandidate({ code, taskDir: task.dir, driverPath: task.driverPath, sourcefile });
  if (!bundle.ok) return { compileError: bundle.error };
  return { script: bundle.script, map: (text) => mapScriptLocations(text, bundle.sourceMap) };
}

/**
 * Runs a program on one probe in a fresh isolate, two or three times (the
 * second call tells determinism, later calls run warm), and has the task judge
 * the first output.
 */
export async function runProbe(
  task: Task,
  sandbox: Sandbox,
  limits: Limits,
  program: Ready,
  probe: AuditProbe,
): Promise<ProbeRun> {
  const input = probe.workload.input;
  // A scale probe's CPU time feeds the growth verdicts: the least of three calls.
  const calls = probe.probe?.kind === "scale" ? 3 : 2;
  const result = await sandbox.run(profiledCalls(program, limits, input, calls));
  const [first, second] = result.outputs;
  const run: ProbeRun = { status: "ok", metrics: {}, deterministic: null };
  if (first) measured(run, first);
  for (const later of result.outputs.slice(1))
    if (later.profile && run.cpuMs !== undefined) run.cpuMs = Math.min(run.cpuMs, later.profile.cpuMs);
  if (first?.ok && second?.ok)
    run.deterministic = JSON.stringify(first.value) === JSON.stringify(second.value);
  if (!first) {
    const status = result.status === "ok" ? "crash" : result.status;
    return { ...run, status, error: program.map(result.error ?? "no output") };
  }
  if (!first.ok) return { ...run, status: "error", error: program.map(first.error) };
  const check = task.check;
  if (!check) throw new Error(`task ${task.id} has no check: audit runs sandboxed tasks only`);
  const timing =
    first.cpuMs === undefined
      ? { durationMs: first.durationMs }
      : { durationMs: first.durationMs, cpuMs: first.cpuMs };
  let verdict: ReturnType<typeof validateCheck>;
  try {
    verdict = validateCheck(await check(probe.workload, first.value, timing));
  } catch (err) {
    throw new Error(
      `task ${task.id}: check failed on ${probe.split} workload "${probe.workload.id}": ${errorMessage(err)}`,
    );
  }
  run.metrics = verdict.metrics;
  if (!verdict.valid) return { ...run, status: "invalid", error: verdict.error ?? "invalid output" };
  const value = verdict.metrics[task.metric.name];
  if (value !== undefined) run.value = value;
  return run;
}

function measured(run: ProbeRun, out: SandboxOutput): void {
  run.wallMs = out.durationMs;
  if (out.profile) {
    run.cpuMs = out.profile.cpuMs;
    run.peakBytes = out.profile.peakBytes;
  }
}

/** A sandbox job calling the program `calls` times on one input, every call profiled. */
function profiledCalls(program: Ready, limits: Limits, input: unknown, calls: number): SandboxJob {
  return {
    script: program.script,
    inputs: Array.from({ length: calls }, () => input),
    timeoutMs: limits.timeoutMs,
    memoryMb: limits.memoryMb,
    ...(limits.cpuMs === undefined ? {} : { cpuMs: limits.cpuMs }),
    profile: true,
  };
}

/** Heap kept after each of `calls` calls on one input in one isolate: a leak grows it call after call. */
export async function runRepeated(
  sandbox: Sandbox,
  limits: Limits,
  program: Ready,
  input: unknown,
  calls: number,
): Promise<number[] | string> {
  const result = await sandbox.run(profiledCalls(program, limits, input, calls));
  const failed = result.outputs.find((o) => !o.ok);
  if (result.status !== "ok" || failed)
    return program.map(failed && !failed.ok ? failed.error : (result.error ?? result.status));
  return result.outputs.map((o) => o.profile?.retainedBytes ?? 0);
}
