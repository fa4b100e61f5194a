import type { Anchors } from "../core/score.ts";
import type { Metrics, Split, WorkloadResult } from "../core/types.ts";

/** One problem instance the candidate is run on. `input` is handed to the driver in the sandbox. */
export interface Workload<I = unknown> {
  id: string;
  split: Split;
  input: I;
}

/** What trusted code concludes about one output of the candidate. */
export interface OutputCheck {
  valid: boolean;
  /** Raw metrics recomputed by trusted code (never taken from the candidate). */
  metrics: Metrics;
  error?: string;
}

/** The aggregate over a split: the 0–100 score and the raw metrics beside it. */
export interface SplitScore {
  score: number;
  metrics: Metrics;
}

/**
 * A task, as written in `tasks/<id>/task.ts` with `defineTask`.
 *
 * The candidate (a TypeScript module, the evolved file) and the task's `driver`
 * run together in the sandbox; the driver calls the candidate on one workload
 * input and returns its outputs. Everything else here is trusted and runs
 * outside the candidate's realm.
 */
export interface TaskDefinition<I = unknown> {
  /** Stable id, the folder name: `txn-scheduling`. */
  id: string;
  /** One line for `adrs tasks`. */
  title: string;
  /** Bump when the simulator, workloads or scoring change: it keys the evaluation cache. */
  version: string;
  /** The task folder (use `import.meta.dirname`); spec, initial and driver resolve against it. */
  dir: string;
  /** Files in `dir`; defaults: spec.md, initial.ts, driver.ts. */
  files?: { spec?: string; initial?: string; driver?: string };
  /** The raw metric that the 0–100 score is built from. */
  metric: { name: string; direction: "minimize" | "maximize"; unit?: string };
  /** Train-split anchors of the 0–100 score, for the record (README, status). */
  anchors: Anchors;
  /** Sandbox limits for one evaluation of one split. */
  limits?: { timeoutMs?: number; memoryMb?: number };
  /** The workloads of a split. The test split is never shown to the search. */
  workloads(split: Split): Workload<I>[] | Promise<Workload<I>[]>;
  /** Validate one output and recompute its metrics. Must not trust anything the candidate claims. */
  check(workload: Workload<I>, output: unknown): OutputCheck;
  /** Combine per-workload results into the split's 0–100 score (0 if any workload is invalid). */
  aggregate(split: Split, results: WorkloadResult[], workloads: Workload<I>[]): SplitScore;
  /** Optional: feedback for the next prompt; the default lists workloads worst first. */
  feedback?(results: WorkloadResult[], workloads: Workload<I>[]): string;
}

/**
 * The sandbox-side module `driver.ts` of a task: it is bundled with the
 * candidate, receives the candidate's module namespace and one workload input,
 * and returns the candidate's output. It never computes the score.
 */
export interface Driver<I = unknown> {
  run(candidate: Record<string, unknown>, input: I): unknown;
}

export function defineTask<I>(task: TaskDefinition<I>): TaskDefinition<I> {
  return task;
}

/** A task with its files read: what the engine works with. */
export interface Task<I = unknown> extends TaskDefinition<I> {
  spec: string;
  initialCode: string;
  driverPath: string;
  initialPath: string;
}
