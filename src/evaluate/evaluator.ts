import { createHash } from "node:crypto";
import type { Evaluation, EvaluationStatus, Metrics, Split, WorkloadResult } from "../core/types.ts";
import { bundleCandidate, mapScriptLocations } from "../sandbox/bundle.ts";
import type { Sandbox, SandboxResult } from "../sandbox/sandbox.ts";
import type { OutputCheck, Task, Workload } from "../task/contract.ts";
import { composeFeedback, defaultFeedback } from "./feedback.ts";

export interface EvaluatorOptions {
  /** Overrides the task's `limits.timeoutMs`. */
  timeoutMs?: number;
  /** Overrides the task's `limits.memoryMb`. */
  memoryMb?: number;
  /** Evaluations kept in the in-memory cache (least recently used dropped first); 0 disables it. */
  cacheSize?: number;
  /** Clock for `durationMs`; injectable for tests. */
  now?: () => number;
}

export const DEFAULT_LIMITS = { timeoutMs: 30_000, memoryMb: 512 } as const;
const DEFAULT_CACHE_SIZE = 10_000;
/** The candidate's file name in compile errors and mapped stack frames. */
const SOURCEFILE = "program.ts";

/** An evaluation plus whether it is a fact about the code (cacheable) or about the moment. */
interface Outcome {
  evaluation: Evaluation;
  cacheable: boolean;
}

/** A bug in the task's trusted code: reported as an error evaluation, never thrown. */
class TaskBug extends Error {}

/**
 * Scores candidates: bundles the code with the task's driver, runs it on a
 * split's workloads in the sandbox, and has the task's trusted `check` and
 * `aggregate` judge the outputs in this process. Identical code is evaluated
 * once per task version and split.
 *
 * `evaluate` resolves for every candidate failure (compile error, exception,
 * timeout, crash) and for task bugs; it rejects only when the sandbox itself
 * cannot run (e.g. a child process cannot be spawned), which says nothing about
 * the candidate and is not cached.
 */
export class Evaluator {
  readonly limits: { timeoutMs: number; memoryMb: number };
  private readonly cacheSize: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, Promise<Outcome>>();
  private readonly workloadCache = new Map<Split, Promise<Workload[]>>();
  /** Cache hits and misses since construction. */
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    readonly task: Task,
    private readonly sandbox: Sandbox,
    options: EvaluatorOptions = {},
  ) {
    this.limits = {
      timeoutMs: options.timeoutMs ?? task.limits?.timeoutMs ?? DEFAULT_LIMITS.timeoutMs,
      memoryMb: options.memoryMb ?? task.limits?.memoryMb ?? DEFAULT_LIMITS.memoryMb,
    };
    this.cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
    this.now = options.now ?? (() => performance.now());
  }

  /** The cache key: the code's content hash, the task and its version, the split. */
  cacheKey(code: string, split: Split): string {
    const hash = createHash("sha256").update(code).digest("hex");
    return `${this.task.id}@${this.task.version}/${split}/${hash}`;
  }

  async evaluate(code: string, split: Split): Promise<Evaluation> {
    if (this.cacheSize <= 0) return (await this.run(code, split)).evaluation;
    const key = this.cacheKey(code, split);
    const hit = this.cache.get(key);
    if (hit) {
      this.stats.hits++;
      // Refresh its place in the LRU order.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return structuredClone((await hit).evaluation);
    }
    this.stats.misses++;
    const pending = this.run(code, split);
    this.cache.set(key, pending);
    while (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    let outcome: Outcome;
    try {
      outcome = await pending;
    } catch (err) {
      this.cache.delete(key);
      throw err;
    }
    if (!outcome.cacheable && this.cache.get(key) === pending) this.cache.delete(key);
    return structuredClone(outcome.evaluation);
  }

  /** Forgets every cached evaluation and workload list. */
  clearCache(): void {
    this.cache.clear();
    this.workloadCache.clear();
  }

  private workloads(split: Split): Promise<Workload[]> {
    let pending = this.workloadCache.get(split);
    if (!pending) {
      pending = (async () => validateWorkloads(await this.task.workloads(split), split))();
      this.workloadCache.set(split, pending);
      pending.catch(() => this.workloadCache.delete(split));
    }
    return pending;
  }

  private async run(code: string, split: Split): Promise<Outcome> {
    const start = this.now();
    try {
      return await this.runUnsafe(code, split, start);
    } catch (err) {
      if (!(err instanceof TaskBug)) throw err;
      const evaluation = this.failure(start, "error", `task bug: ${err.message}`, [], "", false);
      // Not the candidate's doing: a fixed task must be able to evaluate it again.
      return { evaluation, cacheable: false };
    }
  }

  private async runUnsafe(code: string, split: Split, start: number): Promise<Outcome> {
    const task = this.task;
    let workloads: Workload[];
    try {
      workloads = await this.workloads(split);
    } catch (err) {
      throw new TaskBug(`task.workloads("${split}") failed: ${message(err)}`);
    }

    const bundle = await bundleCandidate({
      code,
      taskDir: task.dir,
      driverPath: task.driverPath,
      sourcefile: SOURCEFILE,
    });
    if (!bundle.ok) {
      return { evaluation: this.failure(start, "error", bundle.error, [], "", true), cacheable: true };
    }

    const result = await this.sandbox.run({
      script: bundle.script,
      inputs: workloads.map((w) => w.input),
      timeoutMs: this.limits.timeoutMs,
      memoryMb: this.limits.memoryMb,
    });
    const mapped = (text: string) => mapScriptLocations(text, bundle.sourceMap);
    if (result.status === "ok" && result.outputs.length !== workloads.length) {
      throw new Error(
        `the sandbox returned ${result.outputs.length} outputs for ${workloads.length} workloads`,
      );
    }

    const results = workloads.map((w, i) => this.judge(w, result, i, mapped));

    if (result.status !== "ok") {
      const status: EvaluationStatus = result.status;
      const error = mapped(result.error ?? `sandbox status ${result.status}`);
      // A timeout may be the machine's load rather than the code: let it be retried.
      return {
        evaluation: this.failure(start, status, error, results, result.log, false, {}, workloads),
        cacheable: status !== "timeout",
      };
    }

    const invalid = results.filter((r) => !r.valid);
    let aggregate: { score: number; metrics: Metrics } | undefined;
    try {
      aggregate = validateAggregate(task.aggregate(split, results, workloads));
    } catch (err) {
      // With invalid outputs the score is 0 anyway; a task whose aggregate cannot cope
      // with them should not hide the candidate's real problem.
      if (invalid.length === 0) {
        throw new TaskBug(`task.aggregate failed: ${message(err)}`);
      }
    }
    if (invalid.length > 0) {
      // A call that threw or returned something unusable is an error; a usable output the
      // task rejects is invalid.
      const thrown = result.outputs.findIndex((o) => !o.ok);
      const status = thrown >= 0 ? "error" : "invalid";
      const first = (thrown >= 0 ? results[thrown] : invalid[0]) as WorkloadResult;
      const error = `workload ${first.workload}: ${first.error ?? "invalid output"}`;
      const evaluation = this.failure(
        start,
        status,
        error,
        results,
        result.log,
        false,
        aggregate?.metrics ?? {},
        workloads,
      );
      return { evaluation, cacheable: true };
    }
    const { score, metrics } = aggregate as { score: number; metrics: Metrics };
    const evaluation: Evaluation = {
      status: "ok",
      score,
      metrics,
      workloads: results,
      stages: [{ name: "full", score, metrics, passed: true }],
      feedback: composeFeedback({
        status: "ok",
        score,
        metrics,
        results,
        body: this.body(results, workloads),
        log: result.log,
        compileError: false,
        task,
      }),
      durationMs: this.now() - start,
    };
    return { evaluation, cacheable: true };
  }

  /** The workload's result: the sandbox's error for it, or the task's verdict on its output. */
  private judge(
    w: Workload,
    result: SandboxResult,
    i: number,
    mapped: (s: string) => string,
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
    let check: OutputCheck;
    try {
      check = validateCheck(this.task.check(w, out.value));
    } catch (err) {
      throw new TaskBug(`task.check failed on workload "${w.id}": ${message(err)}`);
    }
    const r: WorkloadResult = {
      workload: w.id,
      valid: check.valid,
      metrics: check.metrics,
      durationMs: out.durationMs,
    };
    if (!check.valid) r.error = check.error ?? "invalid output";
    else if (check.error !== undefined) r.error = check.error;
    return r;
  }

  private body(results: WorkloadResult[], workloads: Workload[]): string {
    if (!this.task.feedback) return defaultFeedback(results, this.task);
    try {
      const text = this.task.feedback(results, workloads);
      if (typeof text === "string") return text;
      return `${defaultFeedback(results, this.task)}\n(task.feedback returned ${typeof text}, not a string)`;
    } catch (err) {
      return `${defaultFeedback(results, this.task)}\n(task.feedback failed: ${message(err)})`;
    }
  }

  private failure(
    start: number,
    status: EvaluationStatus,
    error: string,
    results: WorkloadResult[],
    log: string,
    compileError: boolean,
    metrics: Metrics = {},
    workloads: Workload[] = [],
  ): Evaluation {
    const feedback = composeFeedback({
      status,
      score: 0,
      metrics,
      results,
      error,
      body: results.length > 0 ? this.body(results, workloads) : "",
      log,
      compileError,
      task: this.task,
    });
    return {
      status,
      score: 0,
      metrics,
      workloads: results,
      stages: [{ name: "full", score: 0, metrics, passed: false }],
      feedback,
      error,
      durationMs: this.now() - start,
    };
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function validateMetrics(v: unknown, where: string): Metrics {
  if (!isRecord(v)) throw new Error(`${where}: metrics must be an object of numbers`);
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new Error(`${where}: metrics.${k} must be a finite number (got ${String(x)})`);
    }
  }
  return v as Metrics;
}

function validateCheck(v: unknown): OutputCheck {
  if (!isRecord(v) || typeof v.valid !== "boolean") throw new Error("returned no { valid, metrics }");
  const metrics = validateMetrics(v.metrics ?? {}, "returned");
  const check: OutputCheck = { valid: v.valid, metrics };
  if (v.error !== undefined) check.error = String(v.error);
  return check;
}

function validateAggregate(v: unknown): { score: number; metrics: Metrics } {
  if (!isRecord(v)) throw new Error("returned no { score, metrics }");
  const score = v.score;
  if (typeof score !== "number" || !Number.isFinite(score) || score < 0 || score > 100) {
    throw new Error(`returned score ${String(score)}, expected a number from 0 to 100`);
  }
  return { score, metrics: validateMetrics(v.metrics ?? {}, "returned") };
}

function validateWorkloads(v: unknown, split: Split): Workload[] {
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
