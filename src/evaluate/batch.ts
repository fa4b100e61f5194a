import type { Metrics, WorkloadResult } from "../core/types.ts";
import type { Workload } from "../task/contract.ts";

/**
 * What one sandbox run produced for some workloads: results judged by trusted
 * code, or why the run died (then the unfinished workloads carry the reason).
 */
export interface Batch extends ExternalParts {
  status: "ok" | "timeout" | "crash" | "error";
  results: WorkloadResult[];
  /** Workloads whose call threw or returned something unusable (an error, not an invalid output). */
  thrown: Set<string>;
  log: string;
  error?: string;
  /** Whether a failed run is a fact about the code (false: it may have been the machine). */
  cacheable: boolean;
}

/** What only an external evaluator prints: its own feedback text, split-level metrics and artifacts. */
export interface ExternalParts {
  feedback?: string;
  metrics?: Metrics;
  artifacts?: Record<string, string>;
}

/** Runs a candidate on some workloads; made once per evaluation (JS: the bundle is built once). */
export type Runner = (workloads: Workload[]) => Promise<Batch>;

/** An external evaluator's texts of several runs (cascade stages) read as one. */
export function mergeExternal(a: ExternalParts, b: ExternalParts): ExternalParts {
  const out: ExternalParts = {};
  const feedback = [a.feedback, b.feedback].filter((t): t is string => t !== undefined && t !== "");
  if (feedback.length > 0) out.feedback = feedback.join("\n");
  if (a.metrics || b.metrics) out.metrics = { ...a.metrics, ...b.metrics };
  if (a.artifacts || b.artifacts) out.artifacts = { ...a.artifacts, ...b.artifacts };
  return out;
}
