import { createHash } from "node:crypto";
import type { Split } from "../core/types.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { Task, Workload } from "../task/contract.ts";
import { type EvaluationCache, EvaluationMemo } from "./cache.ts";
import { candidateRunner, type Limits } from "./candidate.ts";
import { cascadeSteps, runCascade, scoreEach } from "./cascade.ts";
import { modelsKey, type TaskModelAccess } from "./models.ts";
import { type EvaluationWithArtifacts, failure, type Scored } from "./result.ts";
import { errorMessage, TaskBug, validateWorkloads } from "./validate.ts";

export interface EvaluatorOptions {
  /** Overrides the task's `limits.timeoutMs` (per sandbox run: one cascade stage). */
  timeoutMs?: number;
  /** Overrides the task's `limits.memoryMb`. */
  memoryMb?: number;
  /** Overrides the task's `limits.cpuMs` (default: the timeout). */
  cpuMs?: number;
  /** Evaluations kept in the in-memory cache (least recently used dropped first); 0 disables it. */
  cacheSize?: number;
  /** A cache that outlives this process (the run's store, or FileEvaluationCache), behind the in-memory one. */
  cache?: EvaluationCache;
  /** Run the task's cascade stages on the train split (default true); false always runs every workload. */
  cascade?: boolean;
  /** Clock for `durationMs`; injectable for tests. */
  now?: () => number;
  /** The candidate's file name in compile errors and stack frames (`adrs eval` gives the user's); default program.ts. */
  sourcefile?: string;
  /**
   * Who answers the model requests of a task that declares `models` (its candidates'
   * and its judge's). Without it such a task's evaluations are errors, never cached.
   */
  models?: TaskModelAccess;
}

/** What one evaluation may ask for beyond the evaluator's settings. */
export interface EvaluateOptions {
  /** A wall-clock limit per sandbox run below the evaluator's own (an adaptive limit); a higher one is ignored. */
  timeoutMs?: number;
  /** Neither read nor stored in the cache: a noisy task's re-evaluation measures the code again. */
  fresh?: boolean;
  /** Who the evaluation is for (a candidate id): its model calls are charged to it. */
  chargeTo?: string;
}

export const DEFAULT_LIMITS = { timeoutMs: 30_000, memoryMb: 512 } as const;
const DEFAULT_CACHE_SIZE = 10_000;

/**
 * Scores candidates: bundles the code with the task's driver (or hands it to
 * the task's external evaluator), runs it on a split's workloads in the
 * sandbox, and has the task's trusted `check` and `aggregate` judge the
 * outputs in this process. A task's cascade stages run first on the train
 * split; the rest runs only for candidates above each stage's threshold.
 * Identical code is evaluated once per task version, split and memory limit.
 *
 * `evaluate` resolves for every candidate failure (compile error, exception,
 * timeout, crash) and for task bugs; it rejects only when the sandbox itself
 * cannot run (e.g. a child process cannot be spawned), which says nothing about
 * the candidate and is not cached.
 */
export class Evaluator {
  readonly limits: Limits;
  private readonly cascade: boolean;
  private readonly now: () => number;
  private readonly sourcefile: string | undefined;
  private readonly models: TaskModelAccess | undefined;
  /** The task's models' part of every cache key (`modelsKey`): fixed for this evaluator's life. */
  private readonly modelsPart: string;
  private readonly memo: EvaluationMemo;
  private readonly workloadLists = new Map<Split, Promise<Workload[]>>();

  constructor(
    readonly task: Task,
    private readonly sandbox: Sandbox,
    options: EvaluatorOptions = {},
  ) {
    this.limits = {
      timeoutMs: options.timeoutMs ?? task.limits?.timeoutMs ?? DEFAULT_LIMITS.timeoutMs,
      memoryMb: options.memoryMb ?? task.limits?.memoryMb ?? DEFAULT_LIMITS.memoryMb,
    };
    const cpuMs = options.cpuMs ?? task.limits?.cpuMs;
    if (cpuMs !== undefined) this.limits.cpuMs = cpuMs;
    this.memo = new EvaluationMemo(options.cacheSize ?? DEFAULT_CACHE_SIZE, options.cache);
    this.cascade = options.cascade ?? true;
    this.now = options.now ?? (() => performance.now());
    this.sourcefile = options.sourcefile;
    this.models = options.models;
    this.modelsPart = modelsKey(task, options.models);
  }

  /** Cache hits (in memory or persistent) and misses since construction. */
  get stats(): { hits: number; misses: number } {
    return this.memo.stats;
  }

  /**
   * The cache key: the task and its version, the split, the settings that can
   * change a cached outcome (the memory limit; the cascade), the code's hash.
   */
  cacheKey(code: string, split: Split, subset?: readonly string[]): string {
    const hash = createHash("sha256").update(code).digest("hex");
    const cascade = this.task.stages?.length && !this.cascade ? "/nocascade" : "";
    const part = subset
      ? `/w${createHash("sha256").update(subset.join("\n")).digest("hex").slice(0, 16)}`
      : "";
    return `${this.task.id}@${this.task.version}/${split}${part}/m${this.limits.memoryMb}${cascade}${this.modelsPart}/${hash}`;
  }

  /**
   * Scores `code` on a split, or on the listed workloads of it only (no
   * cascade; the score is the task's aggregate over those workloads). Each
   * workload of an ok evaluation carries its own score.
   */
  async evaluate(
    code: string,
    split: Split,
    part?: readonly string[],
    options: EvaluateOptions = {},
  ): Promise<EvaluationWithArtifacts> {
    // A part that is the whole split is the whole split (and shares its cache entry).
    const subset =
      part && !(await this.workloadIds(split)).every((id) => part.includes(id)) ? part : undefined;
    const limits = this.limitsFor(options);
    const chargeTo = options.chargeTo;
    if (options.fresh) return (await this.run(code, split, limits, subset, chargeTo)).evaluation;
    const evaluation = await this.memo.get(this.cacheKey(code, split, subset), () =>
      this.run(code, split, limits, subset, chargeTo),
    );
    // Cached by a version that did not score workloads one by one.
    if (evaluation.status === "ok" && evaluation.workloads.some((w) => w.score === undefined)) {
      try {
        scoreEach(this.task, split, evaluation.workloads, await this.workloads(split));
      } catch {
        return (await this.run(code, split, limits, subset, chargeTo)).evaluation;
      }
    }
    return evaluation;
  }

  /**
   * The limits of one evaluation: a shorter wall-clock limit when asked (never
   * above this evaluator's), with the CPU limit kept, so the sandbox's waiting
   * children (started per CPU limit) serve it.
   */
  private limitsFor(options: EvaluateOptions): Limits {
    if (options.timeoutMs === undefined || options.timeoutMs >= this.limits.timeoutMs) return this.limits;
    return {
      ...this.limits,
      timeoutMs: Math.max(1, Math.round(options.timeoutMs)),
      cpuMs: this.limits.cpuMs ?? this.limits.timeoutMs,
    };
  }

  /** The ids of a split's workloads, in the split's order. */
  async workloadIds(split: Split): Promise<string[]> {
    return (await this.workloads(split)).map((w) => w.id);
  }

  private workloads(split: Split): Promise<Workload[]> {
    let pending = this.workloadLists.get(split);
    if (!pending) {
      pending = (async () => validateWorkloads(await this.task.workloads(split), split))();
      this.workloadLists.set(split, pending);
      pending.catch(() => this.workloadLists.delete(split));
    }
    return pending;
  }

  /** One evaluation, a task bug reported as an error evaluation that is not cached. */
  private async run(
    code: string,
    split: Split,
    limits: Limits,
    subset?: readonly string[],
    chargeTo?: string,
  ): Promise<Scored> {
    const start = this.now();
    const elapsed = () => this.now() - start;
    try {
      const scored = await this.runOrThrowTaskBug(code, split, limits, elapsed, subset, chargeTo);
      scored.evaluation.timeoutMs = limits.timeoutMs;
      return scored;
    } catch (err) {
      if (!(err instanceof TaskBug)) throw err;
      const evaluation = failure({
        task: this.task,
        status: "error",
        error: `task bug: ${err.message}`,
        durationMs: elapsed(),
      });
      evaluation.timeoutMs = limits.timeoutMs;
      // Not the candidate's doing: a fixed task must be able to evaluate it again.
      return { evaluation, cacheable: false };
    }
  }

  private async runOrThrowTaskBug(
    code: string,
    split: Split,
    limits: Limits,
    elapsed: () => number,
    subset?: readonly string[],
    chargeTo?: string,
  ): Promise<Scored> {
    let workloads: Workload[];
    try {
      workloads = await this.workloads(split);
    } catch (err) {
      throw new TaskBug(`task.workloads("${split}") failed: ${errorMessage(err)}`);
    }
    if (subset) workloads = pickWorkloads(workloads, subset, split);
    const steps = subset
      ? [{ name: "full", workloads }]
      : cascadeSteps(this.task, split, workloads, this.cascade);
    const runner = await candidateRunner(this.task, this.sandbox, limits, code, split, this.sourcefile, {
      access: this.models,
      chargeTo,
    });
    if (typeof runner === "string") {
      const evaluation = failure({
        task: this.task,
        status: "error",
        error: runner,
        compileError: true,
        durationMs: elapsed(),
      });
      return { evaluation, cacheable: true };
    }
    return runCascade({ task: this.task, split, workloads, steps, runner, elapsed });
  }
}

/** The listed workloads of a split, in the split's order; an id the split lacks is the caller's mistake. */
function pickWorkloads(workloads: Workload[], ids: readonly string[], split: Split): Workload[] {
  const known = new Set(workloads.map((w) => w.id));
  const unknown = ids.find((id) => !known.has(id));
  if (unknown !== undefined) throw new Error(`the ${split} split has no workload "${unknown}"`);
  if (ids.length === 0) throw new Error("an evaluation on part of a split needs at least one workload");
  const wanted = new Set(ids);
  return workloads.filter((w) => wanted.has(w.id));
}
