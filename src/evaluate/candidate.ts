import type { Split, WorkloadResult } from "../core/types.ts";
import { bundleCandidate, mapScriptLocations } from "../sandbox/bundle.ts";
import type { Sandbox, SandboxResult } from "../sandbox/sandbox.ts";
import type { OutputCheck, Task, Workload } from "../task/contract.ts";
import { candidateFileName } from "../task/definition.ts";
import type { Batch, Runner } from "./batch.ts";
import { runExternal } from "./external.ts";
import { errorMessage, TaskBug, validateCheck } from "./validate.ts";

/** The candidate's file name in compile errors and mapped stack frames, unless the caller names it. */
export const SOURCEFILE = "program.ts";

export interface Limits {
  timeoutMs: number;
  memoryMb: number;
  cpuMs?: number;
}

/**
 * How this candidate runs: a function over workloads, or its compile error.
 * A JS task's candidate is bundled once with the driver and each batch runs in
 * the sandbox, judged here by `task.check`; an external task's evaluator runs
 * as a command. Throws a TaskBug when the task can do neither.
 */
export async function candidateRunner(
  task: Task,
  sandbox: Sandbox,
  limits: Limits,
  code: string,
  split: Split,
  sourcefile = SOURCEFILE,
): Promise<Runner | string> {
  if (task.external) {
    if (!sandbox.runCommand)
      throw new Error(`task ${task.id} has an external evaluator, but this sandbox cannot run commands`);
    const external = task.external;
    const candidateFile = candidateFileName(external);
    return (workloads) =>
      runExternal({ sandbox, task, external, candidateFile, code, split, workloads, limits });
  }
  const check = task.check;
  if (!check) throw new TaskBug("the task has neither check nor external");
  const bundle = await bundleCandidate({
    code,
    taskDir: task.dir,
    driverPath: task.driverPath,
    sourcefile,
  });
  if (!bundle.ok) return bundle.error;
  const mapped = (text: string) => mapScriptLocations(text, bundle.sourceMap);
  return async (workloads) => {
    const job = {
      script: bundle.script,
      inputs: workloads.map((w) => w.input),
      timeoutMs: limits.timeoutMs,
      memoryMb: limits.memoryMb,
      ...(limits.cpuMs === undefined ? {} : { cpuMs: limits.cpuMs }),
    };
    const result = await sandbox.run(job);
    if (result.status === "ok" && result.outputs.length !== workloads.length) {
      throw new Error(
        `the sandbox returned ${result.outputs.length} outputs for ${workloads.length} workloads`,
      );
    }
    const results = workloads.map((w, i) => judge(w, result, i, mapped, check));
    const thrown = new Set(workloads.filter((_, i) => result.outputs[i]?.ok === false).map((w) => w.id));
    const batch: Batch = { status: result.status, results, thrown, log: result.log, cacheable: true };
    if (result.status !== "ok") {
      batch.error = mapped(result.error ?? `sandbox status ${result.status}`);
      // A timeout may be the machine's load rather than the code: let it be retried.
      batch.cacheable = result.status !== "timeout";
    }
    return batch;
  };
}

/** The workload's result: the sandbox's error for it, or the task's verdict on its output. */
function judge(
  w: Workload,
  result: SandboxResult,
  i: number,
  mapped: (s: string) => string,
  check: NonNullable<Task["check"]>,
): WorkloadResult {
  const out = result.outputs[i];
  if (out === undefined) {
    // The job died here: this workload was running, the rest never started.
    const error = i === result.outputs.length ? mapped(result.error ?? "no output") : "not run";
    return { workload: w.id, valid: false, metrics: {}, error };
  }
  if (!out.ok)
    return {
      workload: w.id,
      valid: false,
      metrics: {},
      error: mapped(out.error),
      durationMs: out.durationMs,
    };
  let verdict: OutputCheck;
  try {
    const run =
      out.cpuMs === undefined
        ? { durationMs: out.durationMs }
        : { durationMs: out.durationMs, cpuMs: out.cpuMs };
    verdict = validateCheck(check(w, out.value, run));
  } catch (err) {
    throw new TaskBug(`task.check failed on workload "${w.id}": ${errorMessage(err)}`);
  }
  const r: WorkloadResult = {
    workload: w.id,
    valid: verdict.valid,
    metrics: verdict.metrics,
    durationMs: out.durationMs,
  };
  if (!verdict.valid) r.error = verdict.error ?? "invalid output";
  else if (verdict.error !== undefined) r.error = verdict.error;
  return r;
}
