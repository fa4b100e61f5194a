import type { Split, WorkloadResult } from "../core/types.ts";
import { bundleCandidate, mapScriptLocations } from "../sandbox/bundle.ts";
import type { Sandbox, SandboxResult } from "../sandbox/sandbox.ts";
import type { OutputCheck, RunInfo, Task, Workload } from "../task/contract.ts";
import { candidateFileName } from "../task/definition.ts";
import type { JudgeContext, ModelExchange } from "../task/model.ts";
import type { Batch, Runner } from "./batch.ts";
import { runExternal } from "./external.ts";
import { CandidateCalls, judgeFor, type TaskModelAccess } from "./models.ts";
import { errorMessage, TaskBug, validateCheck } from "./validate.ts";

/** The candidate's file name in compile errors and mapped stack frames, unless the caller names it. */
export const SOURCEFILE = "program.ts";

export interface Limits {
  timeoutMs: number;
  memoryMb: number;
  cpuMs?: number;
}

/** The models of a task that calls them: who answers, and who the calls are charged to. */
export interface ModelsFor {
  access: TaskModelAccess | undefined;
  chargeTo: string | undefined;
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
  models: ModelsFor = { access: undefined, chargeTo: undefined },
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
  const limitsOfCalls = task.models?.candidate;
  return async (workloads) => {
    // A task whose candidates call models gets the bridge, holding each workload to its limits.
    const calls = limitsOfCalls
      ? new CandidateCalls(limitsOfCalls, workloads, models.access, models.chargeTo)
      : undefined;
    const job = {
      script: bundle.script,
      inputs: workloads.map((w) => w.input),
      timeoutMs: limits.timeoutMs,
      memoryMb: limits.memoryMb,
      ...(limits.cpuMs === undefined ? {} : { cpuMs: limits.cpuMs }),
      ...(calls ? { host: calls.channel() } : {}),
    };
    const result = await sandbox.run(job);
    if (result.status === "ok" && result.outputs.length !== workloads.length) {
      throw new Error(
        `the sandbox returned ${result.outputs.length} outputs for ${workloads.length} workloads`,
      );
    }
    // The judge's calls are made one workload after another, so their order is the same on every run.
    const judged = { unavailable: undefined as string | undefined };
    const judge =
      task.judgePrompt === undefined ? undefined : judgeFor(task, models.access, models.chargeTo, judged);
    const thrown = new Set(workloads.filter((_, i) => result.outputs[i]?.ok === false).map((w) => w.id));
    const results: WorkloadResult[] = [];
    for (const [i, w] of workloads.entries()) {
      // A workload whose calls broke the task's limits (or were malformed) fails with why,
      // whatever it returned: it is neither checked nor judged (a judge's call would be paid for nothing).
      const refused = calls?.refused[i];
      if (refused !== undefined) {
        const ms = result.outputs[i]?.durationMs;
        results.push({
          workload: w.id,
          valid: false,
          metrics: {},
          error: `model calls: ${refused}`,
          ...(ms === undefined ? {} : { durationMs: ms }),
        });
        thrown.add(w.id);
        continue;
      }
      try {
        results.push(await verdictOn(w, result, i, mapped, check, judge, calls?.served[i]));
      } catch (err) {
        // A check that threw because its judge got no reply is no task bug: the models failed.
        if (judged.unavailable === undefined) throw err;
        results.push({ workload: w.id, valid: false, metrics: {}, error: judged.unavailable });
      }
      if (judged.unavailable !== undefined) break;
    }
    for (const w of workloads.slice(results.length))
      results.push({ workload: w.id, valid: false, metrics: {}, error: "not judged" });
    const batch: Batch = { status: result.status, results, thrown, log: result.log, cacheable: true };
    if (result.status !== "ok") {
      batch.error = mapped(result.error ?? `sandbox status ${result.status}`);
      // A timeout may be the machine's load rather than the code: let it be retried.
      batch.cacheable = result.status !== "timeout";
    }
    // Without a reply from the models the outcome says nothing about the code: an error, never cached.
    const unavailable = calls?.unavailable ?? judged.unavailable;
    if (unavailable !== undefined) {
      batch.status = "error";
      batch.error = unavailable;
      batch.cacheable = false;
    }
    return batch;
  };
}

/** The workload's result: the sandbox's error for it, or the task's verdict on its output (`judge`: a judged task's). */
async function verdictOn(
  w: Workload,
  result: SandboxResult,
  i: number,
  mapped: (s: string) => string,
  check: NonNullable<Task["check"]>,
  judge: JudgeContext | undefined,
  modelCalls: readonly ModelExchange[] | undefined,
): Promise<WorkloadResult> {
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
    const run: RunInfo = {
      durationMs: out.durationMs,
      ...(out.cpuMs === undefined ? {} : { cpuMs: out.cpuMs }),
      ...(modelCalls === undefined ? {} : { modelCalls }),
    };
    verdict = validateCheck(await (judge ? check(w, out.value, run, judge) : check(w, out.value, run)));
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
