import type { Anchors } from "../core/score.ts";
import type { Metrics, Split, WorkloadResult } from "../core/types.ts";
import type { JudgeContext, ModelExchange, TaskModels } from "./model.ts";

/** One problem instance the candidate is run on. `input` is handed to the driver in the sandbox. */
export interface Workload<I = unknown> {
  id: string;
  /** `stress` only for the workloads of `stress()`, which only `adrs audit` runs. */
  split: Split | "stress";
  input: I;
}

/**
 * What a stress workload probes (docs/audit.md): `scale`, a larger input of a
 * family whose growth is fitted against `size`; `edge`, an empty, degenerate or
 * extreme input; `shift`, a distribution the train split does not have.
 */
export interface Probe {
  kind: "scale" | "edge" | "shift";
  /** One line: "1,600 transactions (16x train)", "no transactions". */
  what: string;
  /** The input's size in the task's own unit (transactions, rows, GPUs). */
  size: number;
  /** Scale probes of one family grow one input shape; time and memory are fitted per family. */
  family?: string;
}

/** A workload of the stress split, labelled with what it probes. */
export interface StressWorkload<I = unknown> extends Workload<I> {
  split: "stress";
  probe: Probe;
}

/** What trusted code concludes about one output of the candidate. */
export interface OutputCheck {
  valid: boolean;
  /** Raw metrics recomputed by trusted code (never taken from the candidate). */
  metrics: Metrics;
  error?: string;
}

/** What the sandbox measured about one call of the candidate, outside its reach. */
export interface RunInfo {
  /** Wall time of the driver's call (settling and reading its output included), timed around the call into the isolate. */
  durationMs: number;
  /** CPU time the isolate spent on the call, when known. */
  cpuMs?: number;
  /**
   * The model calls (role `task`) the bridge served during the call that ended
   * with a reply, in the order it received them, recorded outside the candidate's
   * realm; absent when the sandbox does not record them. A task whose candidates
   * call models ties what the candidate says it asked and heard to these.
   */
  modelCalls?: readonly ModelExchange[];
}

/**
 * A stage of the evaluation cascade: a cheap check (a few workloads) that a
 * candidate must pass before the next stage, and finally the full split, runs.
 */
export interface CascadeStage<I = unknown> {
  name: string;
  /** The train workloads of this stage: their ids, or a filter. */
  workloads: readonly string[] | ((workload: Workload<I>, index: number) => boolean);
  /** The stage's score (0–100, by `aggregate` over its workloads) needed to go on. */
  threshold: number;
}

/**
 * A task whose evaluator is a command (a Python simulator, a C++ benchmark)
 * rather than a TypeScript driver. The command is the task's own, trusted code;
 * it runs the candidate's file and prints one JSON object (see docs/sandbox.md).
 */
export interface ExternalEvaluator {
  /**
   * The command, as an argument list or a string split on spaces. Placeholders:
   * `{candidate}` (the candidate's file), `{workloads}` (a JSON file of the
   * workloads being run), `{split}`, `{task}` (the task folder, also the
   * working directory). Example: `python3 evaluate.py {candidate} {workloads}`.
   */
  command: string | readonly string[];
  /** The candidate's language: names its file (`python` → `program.py`) and the prompt's code fences. */
  language: string;
  /** The candidate's file name, when the language alone does not say it. */
  candidateFile?: string;
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
/** What every task declares, however it is evaluated. */
export interface TaskBase<I = unknown> {
  /** Stable id, the folder name: `txn-scheduling`. */
  id: string;
  /** One line for `adrs tasks`. */
  title: string;
  /** Bump when the simulator, workloads or scoring change: it keys the evaluation cache. */
  version: string;
  /** The task folder (use `import.meta.dirname`); spec, initial and driver resolve against it. */
  dir: string;
  /** Files in `dir`; defaults: spec.md, initial.ts (initial.<ext> for an external task), driver.ts. */
  files?: { spec?: string; initial?: string; driver?: string };
  /** The raw metric that the 0–100 score is built from. */
  metric: { name: string; direction: "minimize" | "maximize"; unit?: string };
  /**
   * Metrics that move between evaluations of one program (times measured by the
   * sandbox: `time_ms`). Any listed makes the score noisy: the engine evaluates
   * the seed and every would-be best again, interleaved with the incumbent, and
   * promotes only a clear win (docs/architecture.md, "Noisy tasks"). Omit for a
   * deterministic task, which is evaluated once per program.
   */
  noisy?: readonly string[];
  /** Train-split anchors of the 0–100 score, for the record (README, status). */
  anchors: Anchors;
  /** Limits of one sandbox run (one cascade stage of one split); `cpuMs` defaults to `timeoutMs`. */
  limits?: { timeoutMs?: number; memoryMb?: number; cpuMs?: number };
  /** Optional cascade on the train split: cheap stages first, the rest only above their thresholds. */
  stages?: readonly CascadeStage<I>[];
  /** The workloads of a split. The test split is never shown to the search. */
  workloads(split: Split): Workload<I>[] | Promise<Workload<I>[]>;
  /**
   * Optional: the stress split, generated by trusted code (seeded, so the same
   * on every call): larger, edge and shifted inputs that `adrs audit` runs and
   * the search never sees. `check` must judge them like any other workload.
   */
  stress?(): StressWorkload<I>[] | Promise<StressWorkload<I>[]>;
  /** Combine per-workload results into the split's 0–100 score (0 if any workload is invalid). */
  aggregate(split: Split, results: WorkloadResult[], workloads: Workload<I>[]): SplitScore;
  /** Optional: feedback for the next prompt; the default lists workloads worst first. */
  feedback?(results: WorkloadResult[], workloads: Workload<I>[]): string;
  /** Optional: the models its candidates (role `task`) or its scoring (role `judge`) may call. */
  models?: TaskModels;
}

/** A task whose candidate runs with its `driver.ts` in the sandbox; trusted `check` judges each output. */
export interface TaskDefinition<I = unknown> extends TaskBase<I> {
  /**
   * Validate one output and recompute its metrics. Must not trust anything the
   * candidate claims; speed metrics come from `run`, measured by the sandbox.
   */
  check(workload: Workload<I>, output: unknown, run?: RunInfo): OutputCheck;
  external?: undefined;
}

/**
 * A sandboxed task whose scoring asks a judge model (`models.judge`): its `check`
 * gets the judge and may return a promise.
 */
export interface JudgedTaskDefinition<I = unknown> extends TaskBase<I> {
  models: TaskModels & { judge: { prompt: string } };
  check(
    workload: Workload<I>,
    output: unknown,
    run: RunInfo | undefined,
    judge: JudgeContext,
  ): Promise<OutputCheck>;
  external?: undefined;
}

/** A task evaluated by its own command (see ExternalEvaluator), which judges the outputs itself. */
export interface ExternalTaskDefinition<I = unknown> extends TaskBase<I> {
  external: ExternalEvaluator;
}

export function defineTask<I>(task: TaskDefinition<I>): TaskDefinition<I>;
export function defineTask<I>(task: JudgedTaskDefinition<I>): JudgedTaskDefinition<I>;
export function defineTask<I>(task: ExternalTaskDefinition<I>): ExternalTaskDefinition<I>;
export function defineTask<I>(
  task: TaskDefinition<I> | JudgedTaskDefinition<I> | ExternalTaskDefinition<I>,
): TaskDefinition<I> | JudgedTaskDefinition<I> | ExternalTaskDefinition<I> {
  return task;
}

/** A task with its files read: what the engine works with. */
export interface Task<I = unknown> extends TaskBase<I> {
  /** Set for a sandboxed task, absent for an external one; `judge` is given when it declares `models.judge`. */
  check?(
    workload: Workload<I>,
    output: unknown,
    run?: RunInfo,
    judge?: JudgeContext,
  ): OutputCheck | Promise<OutputCheck>;
  external?: ExternalEvaluator;
  /** The text of `models.judge.prompt`, read from the task folder (it keys cached evaluations and the task's hash). */
  judgePrompt?: string;
  spec: string;
  initialCode: string;
  /** The driver module; "" for an `external` task. */
  driverPath: string;
  initialPath: string;
}
