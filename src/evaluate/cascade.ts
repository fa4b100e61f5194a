import type { Metrics, Split, StageResult, WorkloadResult } from "../core/types.ts";
import type { Task, Workload } from "../task/contract.ts";
import { type ExternalParts, mergeExternal, type Runner } from "./batch.ts";
import { failedStage, failure, type Scored, success } from "./result.ts";
import { errorMessage, TaskBug, validateAggregate } from "./validate.ts";

/** One step of the cascade: its workloads, and the score needed to go on (none for the last). */
export interface Step {
  name: string;
  workloads: Workload[];
  threshold?: number;
}

/** The cascade for this split: the task's stages (train only, when `cascade` is on), then the full split. */
export function cascadeSteps(task: Task, split: Split, workloads: Workload[], cascade: boolean): Step[] {
  const full: Step = { name: "full", workloads };
  const stages = task.stages ?? [];
  if (split !== "train" || !cascade || stages.length === 0) return [full];
  const steps = stages.map((stage): Step => {
    let selected: Workload[];
    const pick = stage.workloads;
    if (typeof pick === "function") {
      try {
        selected = workloads.filter((w, i) => pick(w, i));
      } catch (err) {
        throw new TaskBug(`stage "${stage.name}": the workload filter failed: ${errorMessage(err)}`);
      }
    } else {
      const known = new Set(workloads.map((w) => w.id));
      const unknown = pick.find((id) => !known.has(id));
      if (unknown !== undefined)
        throw new TaskBug(
          `stage "${stage.name}" names workload "${unknown}", which the ${split} split lacks`,
        );
      const ids = new Set(pick);
      selected = workloads.filter((w) => ids.has(w.id));
    }
    if (selected.length === 0) throw new TaskBug(`stage "${stage.name}" selects no workloads`);
    return { name: stage.name, workloads: selected, threshold: stage.threshold };
  });
  return [...steps, full];
}

export interface CascadeRun {
  task: Task;
  split: Split;
  /** The whole split, in its order. */
  workloads: Workload[];
  steps: Step[];
  runner: Runner;
  /** How long the evaluation has taken so far. */
  elapsed: () => number;
}

/**
 * Runs the steps in order, each on the workloads not yet run, and stops at the
 * first failure or at the first stage the candidate does not pass. Results of
 * earlier stages carry over. The task's `aggregate` scores each step; a throw
 * from it (with only valid outputs) is a TaskBug, thrown to the caller.
 */
export async function runCascade(c: CascadeRun): Promise<Scored> {
  const { task, split, workloads } = c;
  const done = new Map<string, WorkloadResult>();
  const thrown = new Set<string>();
  const stages: StageResult[] = [];
  const logs: string[] = [];
  let external: ExternalParts = {};
  /** Results so far, in the split's order. */
  const sofar = () => workloads.flatMap((w) => done.get(w.id) ?? []);
  const ran = () => workloads.filter((w) => done.has(w.id));

  for (const step of c.steps) {
    const todo = step.workloads.filter((w) => !done.has(w.id));
    if (todo.length > 0) {
      const batch = await c.runner(todo);
      for (const r of batch.results) done.set(r.workload, r);
      for (const id of batch.thrown) thrown.add(id);
      if (batch.log.trim() !== "") logs.push(batch.log);
      external = mergeExternal(external, batch);
      if (batch.status !== "ok") {
        const evaluation = failure({
          task,
          status: batch.status,
          error: batch.error ?? `sandbox status ${batch.status}`,
          results: sofar(),
          workloads: ran(),
          log: logs.join("\n"),
          stages: [...stages, failedStage(step.name)],
          external,
          durationMs: c.elapsed(),
        });
        return { evaluation, cacheable: batch.cacheable };
      }
    }

    const results = step.workloads.map((w) => done.get(w.id) as WorkloadResult);
    const invalid = results.filter((r) => !r.valid);
    let aggregate: { score: number; metrics: Metrics } | undefined;
    try {
      aggregate = validateAggregate(task.aggregate(split, results, step.workloads));
    } catch (err) {
      // With invalid outputs the score is 0 anyway; a task whose aggregate cannot cope
      // with them should not hide the candidate's real problem.
      if (invalid.length === 0) throw new TaskBug(`task.aggregate failed: ${errorMessage(err)}`);
    }
    if (invalid.length > 0) {
      // A call that threw or returned something unusable is an error; a usable output the
      // task rejects is invalid.
      const first = invalid.find((r) => thrown.has(r.workload));
      const shown = (first ?? invalid[0]) as WorkloadResult;
      const metrics = aggregate?.metrics ?? {};
      const evaluation = failure({
        task,
        status: first ? "error" : "invalid",
        error: `workload ${shown.workload}: ${shown.error ?? "invalid output"}`,
        results: sofar(),
        workloads: ran(),
        log: logs.join("\n"),
        metrics,
        stages: [...stages, { name: step.name, score: 0, metrics, passed: false }],
        external,
        durationMs: c.elapsed(),
      });
      return { evaluation, cacheable: true };
    }
    const { score, metrics: stepMetrics } = aggregate as { score: number; metrics: Metrics };
    const metrics = { ...(external.metrics ?? {}), ...stepMetrics };
    const passed = step.threshold === undefined || score >= step.threshold;
    stages.push({ name: step.name, score, metrics, passed });
    if (passed && step.threshold !== undefined) continue;

    scoreEach(task, split, sofar(), ran());
    const evaluation = success({
      task,
      score,
      metrics,
      results: sofar(),
      workloads: ran(),
      stages,
      log: logs.join("\n"),
      external,
      durationMs: c.elapsed(),
      ...(passed
        ? {}
        : { stopped: { stage: step.name, threshold: step.threshold ?? 0, total: workloads.length } }),
    });
    return { evaluation, cacheable: true };
  }
  throw new Error("the cascade has no final stage");
}

/**
 * Gives each result of an ok evaluation its own 0–100 score: the task's
 * aggregate over that one workload, what a strategy compares workload by
 * workload. A throw from it is a TaskBug.
 */
export function scoreEach(task: Task, split: Split, results: WorkloadResult[], workloads: Workload[]): void {
  const byId = new Map(workloads.map((w) => [w.id, w]));
  for (const r of results) {
    const w = byId.get(r.workload);
    if (!w) throw new TaskBug(`no workload "${r.workload}" in the ${split} split`);
    try {
      r.score = validateAggregate(task.aggregate(split, [r], [w])).score;
    } catch (err) {
      throw new TaskBug(`task.aggregate failed on workload "${w.id}" alone: ${errorMessage(err)}`);
    }
  }
}
