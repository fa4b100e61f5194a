import type { Evaluation, Metrics, Split } from "../core/types.ts";
import type { OutputCheck, Workload } from "../task/contract.ts";

/**
 * A bug in the task's trusted code (its workloads, check, aggregate or cascade
 * stages): the evaluation reports it as an error, never throws it, and never
 * caches it, since a fixed task must be able to evaluate the candidate again.
 */
export class TaskBug extends Error {}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Metrics as the task (or its external evaluator) returned them: an object of finite numbers. */
export function validateMetrics(v: unknown, where: string): Metrics {
  if (!isRecord(v)) throw new Error(`${where}: metrics must be an object of numbers`);
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new Error(
        `${where}: metrics.${k} must be a finite number (got ${JSON.stringify(x) ?? String(x)})`,
      );
    }
  }
  return v as Metrics;
}

/** What `task.check` returned. */
export function validateCheck(v: unknown): OutputCheck {
  if (!isRecord(v) || typeof v.valid !== "boolean") throw new Error("returned no { valid, metrics }");
  const metrics = validateMetrics(v.metrics ?? {}, "returned");
  const check: OutputCheck = { valid: v.valid, metrics };
  if (v.error !== undefined) check.error = String(v.error);
  return check;
}

/** What `task.aggregate` returned. */
export function validateAggregate(v: unknown): { score: number; metrics: Metrics } {
  if (!isRecord(v)) throw new Error("returned no { score, metrics }");
  const score = v.score;
  if (typeof score !== "number" || !Number.isFinite(score) || score < 0 || score > 100) {
    throw new Error(`returned score ${String(score)}, expected a number from 0 to 100`);
  }
  return { score, metrics: validateMetrics(v.metrics ?? {}, "returned") };
}

/** What `task.workloads(split)` returned: a non-empty list with distinct string ids. */
export function validateWorkloads(v: unknown, split: Split | "stress"): Workload[] {
  if (!Array.isArray(v)) throw new Error("did not return an array");
  if (v.length === 0) throw new Error(`returned no workloads for the ${split} split`);
  const seen = new Set<string>();
  for (const [i, w] of v.entries()) {
    if (!isRecord(w) || typeof w.id !== "string" || w.id === "")
      throw new Error(`workload ${i} has no string id`);
    if (seen.has(w.id)) throw new Error(`workload id "${w.id}" appears twice`);
    seen.add(w.id);
  }
  return v as Workload[];
}

/** A stored evaluation good enough to serve (a persistent cache may hold anything). */
export function looksLikeEvaluation(v: unknown): v is Evaluation {
  return (
    isRecord(v) &&
    typeof v.status === "string" &&
    typeof v.score === "number" &&
    Array.isArray(v.workloads) &&
    Array.isArray(v.stages) &&
    typeof v.feedback === "string"
  );
}
