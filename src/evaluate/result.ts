import type { Evaluation, EvaluationStatus, Metrics, StageResult, WorkloadResult } from "../core/types.ts";
import type { Task, Workload } from "../task/contract.ts";
import type { ExternalParts } from "./batch.ts";
import { composeFeedback, defaultFeedback } from "./feedback.ts";
import { errorMessage } from "./validate.ts";

/** An Evaluation with the external evaluator's artifacts, when it printed any. */
export type EvaluationWithArtifacts = Evaluation & { artifacts?: Record<string, string> };

/** An evaluation plus whether it is a fact about the code (cacheable) or about the moment. */
export interface Scored {
  evaluation: EvaluationWithArtifacts;
  cacheable: boolean;
}

export function failedStage(name: string, metrics: Metrics = {}): StageResult {
  return { name, score: 0, metrics, passed: false };
}

export interface FailureParts {
  task: Task;
  status: Exclude<EvaluationStatus, "ok">;
  error: string;
  durationMs: number;
  /** Workload results so far, in the split's order; none when nothing ran. */
  results?: WorkloadResult[];
  /** The workloads that ran (what `task.feedback` is given). */
  workloads?: Workload[];
  /** The candidate's console output. */
  log?: string;
  /** The candidate did not compile (the headline says so). */
  compileError?: boolean;
  metrics?: Metrics;
  /** Default: the full split, failed. */
  stages?: StageResult[];
  external?: ExternalParts;
}

/** A failed evaluation: score 0, the first error, and feedback saying what went wrong. */
export function failure(p: FailureParts): EvaluationWithArtifacts {
  const results = p.results ?? [];
  const metrics = p.metrics ?? {};
  const external = p.external ?? {};
  const feedback = composeFeedback({
    status: p.status,
    score: 0,
    metrics,
    results,
    error: p.error,
    body: results.length > 0 ? feedbackBody(p.task, results, p.workloads ?? [], external.feedback) : "",
    log: p.log ?? "",
    compileError: p.compileError ?? false,
    task: p.task,
  });
  const evaluation: EvaluationWithArtifacts = {
    status: p.status,
    score: 0,
    metrics,
    workloads: results,
    stages: p.stages ?? [failedStage("full", metrics)],
    feedback,
    error: p.error,
    durationMs: p.durationMs,
  };
  if (external.artifacts) evaluation.artifacts = external.artifacts;
  return evaluation;
}

export interface SuccessParts {
  task: Task;
  score: number;
  metrics: Metrics;
  results: WorkloadResult[];
  workloads: Workload[];
  stages: StageResult[];
  log: string;
  durationMs: number;
  external: ExternalParts;
  /** Set when a cascade stage stopped the candidate before the full split. */
  stopped?: { stage: string; threshold: number; total: number };
}

/** A scored evaluation (possibly stopped by a cascade stage). */
export function success(p: SuccessParts): EvaluationWithArtifacts {
  const evaluation: EvaluationWithArtifacts = {
    status: "ok",
    score: p.score,
    metrics: p.metrics,
    workloads: p.results,
    stages: p.stages,
    feedback: composeFeedback({
      status: "ok",
      score: p.score,
      metrics: p.metrics,
      results: p.results,
      body: feedbackBody(p.task, p.results, p.workloads, p.external.feedback),
      log: p.log,
      compileError: false,
      task: p.task,
      ...(p.stopped ? { stopped: p.stopped } : {}),
    }),
    durationMs: p.durationMs,
  };
  if (p.external.artifacts) evaluation.artifacts = p.external.artifacts;
  return evaluation;
}

/** The feedback body: the task's own, else the external evaluator's, else the default lines. */
function feedbackBody(
  task: Task,
  results: WorkloadResult[],
  workloads: Workload[],
  external?: string,
): string {
  if (!task.feedback) return external ?? defaultFeedback(results, task);
  try {
    const text = task.feedback(results, workloads);
    if (typeof text === "string") return text;
    return `${defaultFeedback(results, task)}\n(task.feedback returned ${typeof text}, not a string)`;
  } catch (err) {
    return `${defaultFeedback(results, task)}\n(task.feedback failed: ${errorMessage(err)})`;
  }
}
