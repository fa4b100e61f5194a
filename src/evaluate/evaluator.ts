import { createHash } from "node:crypto";
import type {
  Evaluation,
  EvaluationStatus,
  Metrics,
  Split,
  StageResult,
  WorkloadResult,
} from "../core/types.ts";
import { bundleCandidate, mapScriptLocations } from "../sandbox/bundle.ts";
import type { Sandbox, SandboxResult } from "../sandbox/sandbox.ts";
import type { OutputCheck, Task, Workload } from "../task/contract.ts";
import { candidateFileName } from "../task/load.ts";
import type { EvaluationCache } from "./cache.ts";
import { runExternal } from "./external.ts";
import { composeFeedback, defaultFeedback } from "./feedback.ts";

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
}

/** An Evaluation with the external evaluator's artifacts, when it printed any. */
export type EvaluationWithArtifacts = Evaluation & { artifacts?: Record<string, string> };

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
export class TaskBug extends Error {}

/** One step of the cascade: its workloads, and the score needed to go on (none for the last). */
interface Step {
  name: string;
  workloads: Workload[];
  threshold?: number;
}

/**
 * What one sandbox run produced for some workloads: results judged by trusted
 * code, or why the run died (then the unfinished workloads carry the reason).
 */
export interface Batch {
  status: "ok" | "timeout" | "crash" | "error";
  results: WorkloadResult[];
  /** Workloads whose call threw or returned something unusable (an error, not an invalid output). */
  thrown: Set<string>;
  log: string;
  error?: string;
  /** Whether a failed run is a fact about the code (false: it may have been the machine). */
  cacheable: boolean;
  /** External evaluators: their own feedback text, split-level metrics and artifacts. */
  feedback?: string;
  metrics?: Metrics;
  artifacts?: Record<string, string>;
}

/** Runs a candidate on some workloads; made once per evaluation (JS: the bundle is built once). */
type Runner = (workloads: Workload[]) => Promise<Batch>;

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
  readonly limits: { timeoutMs: number; memoryMb: number; cpuMs?: number };
  private readonly cacheSize: number;
  private readonly persistent: EvaluationCache | undefined;
  private readonly cascade: boolean;
  private readonly now: () => number;
  private readonly cache = new Map<string, Promise<Outcome>>();
  private readonly workloadCache = new Map<Split, Promise<Workload[]>>();
  /** Cache hits (in memory or persistent) and misses since construction. */
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
    const cpuMs = options.cpuMs ?? task.limits?.cpuMs;
    if (cpuMs !== undefined) this.limits.cpuMs = cpuMs;
    this.cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
    this.persistent = options.cache;
    this.cascade = options.cascade ?? true;
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * The cache key: the task and its version, the split, the settings that can
   * change a cached outcome (the memory limit; the cascade), the code's hash.
   */
  cacheKey(code: string, split: Split): string {
    const hash = createHash("sha256").update(code).digest("hex");
    const cascade = this.task.stages?.length && !this.cascade ? "/nocascade" : "";
    return `${this.task.id}@${this.task.version}/${split}/m${this.limits.memoryMb}${cascade}/${hash}`;
  }

  async evaluate(code: string, split: Split): Promise<EvaluationWithArtifacts> {
    if (this.cacheSize <= 0 && !this.persistent) return (await this.run(code, split)).evaluation;
    const key = this.cacheKey(code, split);
    const hit = this.cache.get(key);
    if (hit) {
      this.stats.hits++;
      // Refresh its place in the LRU order.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return structuredClone((await hit).evaluation);
    }
    const pending = this.lookup(key, code, split);
    if (this.cacheSize > 0) {
      this.cache.set(key, pending);
      while (this.cache.size > this.cacheSize) {
        const oldest = this.cache.keys().next().value;
        if (oldest === undefined) break;
        this.cache.delete(oldest);
      }
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

  /** Forgets every cached evaluation (in memory) and workload list. */
  clearCache(): void {
    this.cache.clear();
    this.workloadCache.clear();
  }

  /** The persistent cache, then a fresh run (stored there when it is a fact about the code). */
  private async lookup(key: string, code: string, split: Split): Promise<Outcome> {
    if (this.persistent) {
      let stored: Evaluation | undefined;
      try {
        stored = await this.persistent.get(key);
      } catch {
        stored = undefined;
      }
      if (stored !== undefined && looksLikeEvaluation(stored)) {
        this.stats.hits++;
        return { evaluation: stored, cacheable: true };
      }
    }
    this.stats.misses++;
    const outcome = await this.run(code, split);
    if (outcome.cacheable && this.persistent) {
      try {
        await this.persistent.set(key, structuredClone(outcome.evaluation));
      } catch {
        // A cache that cannot store costs a re-run later, nothing else.
      }
    }
    return outcome;
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
    let workloads: Workload[];
    try {
      workloads = await this.workloads(split);
    } catch (err) {
      throw new TaskBug(`task.workloads("${split}") failed: ${message(err)}`);
    }
    const steps = this.steps(split, workloads);
    const runner = await this.runner(code, split);
    if (typeof runner === "string") {
      const evaluation = this.failure(start, "error", runner, [], "", true, {}, [], [failedStage("full")]);
      return { evaluation, cacheable: true };
    }

    const done = new Map<string, WorkloadResult>();
    const thrown = new Set<string>();
    const stages: StageResult[] = [];
    const logs: string[] = [];
    let external: Pick<Batch, "feedback" | "metrics" | "artifacts"> = {};
    /** Results so far, in the split's order. */
    const sofar = () => workloads.flatMap((w) => done.get(w.id) ?? []);
    const ran = () => workloads.filter((w) => done.has(w.id));

    for (const step of steps) {
      const todo = step.workloads.filter((w) => !done.has(w.id));
      if (todo.length > 0) {
        const batch = await runner(todo);
        for (const r of batch.results) done.set(r.workload, r);
        for (const id of batch.thrown) thrown.add(id);
        if (batch.log.trim() !== "") logs.push(batch.log);
        external = mergeExternal(external, batch);
        if (batch.status !== "ok") {
          const error = batch.error ?? `sandbox status ${batch.status}`;
          const evaluation = this.failure(
            start,
            batch.status,
            error,
            sofar(),
            logs.join("\n"),
            false,
            {},
            ran(),
            [...stages, failedStage(step.name)],
            external,
          );
          return { evaluation, cacheable: batch.cacheable };
        }
      }

      const results = step.workloads.map((w) => done.get(w.id) as WorkloadResult);
      const invalid = results.filter((r) => !r.valid);
      let aggregate: { score: number; metrics: Metrics } | undefined;
      try {
        aggregate = validateAggregate(this.task.aggregate(split, results, step.workloads));
      } catch (err) {
        // With invalid outputs the score is 0 anyway; a task whose aggregate cannot cope
        // with them should not hide the candidate's real problem.
        if (invalid.length === 0) throw new TaskBug(`task.aggregate failed: ${message(err)}`);
      }
      if (invalid.length > 0) {
        // A call that threw or returned something unusable is an error; a usable output the
        // task rejects is invalid.
        const first = invalid.find((r) => thrown.has(r.workload));
        const status = first ? "error" : "invalid";
        const shown = (first ?? invalid[0]) as WorkloadResult;
        const error = `workload ${shown.workload}: ${shown.error ?? "invalid output"}`;
        const metrics = aggregate?.metrics ?? {};
        const evaluation = this.failure(
          start,
          status,
          error,
          sofar(),
          logs.join("\n"),
          false,
          metrics,
          ran(),
          [...stages, { name: step.name, score: 0, metrics, passed: false }],
          external,
        );
        return { evaluation, cacheable: true };
      }
      const { score, metrics: stepMetrics } = aggregate as { score: number; metrics: Metrics };
      const metrics = { ...(external.metrics ?? {}), ...stepMetrics };
      const passed = step.threshold === undefined || score >= step.threshold;
      stages.push({ name: step.name, score, metrics, passed });
      if (passed && step.threshold !== undefined) continue;

      const all = sofar();
      const evaluation: EvaluationWithArtifacts = {
        status: "ok",
        score,
        metrics,
        workloads: all,
        stages,
        feedback: composeFeedback({
          status: "ok",
          score,
          metrics,
          results: all,
          body: this.body(all, ran(), external.feedback),
          log: logs.join("\n"),
          compileError: false,
          task: this.task,
          ...(passed
            ? {}
            : { stopped: { stage: step.name, threshold: step.threshold ?? 0, total: workloads.length } }),
        }),
        durationMs: this.now() - start,
      };
      if (external.artifacts) evaluation.artifacts = external.artifacts;
      return { evaluation, cacheable: true };
    }
    throw new Error("the cascade has no final stage");
  }

  /** The cascade for this split: the task's stages (train only), then the full split. */
  private steps(split: Split, workloads: Workload[]): Step[] {
    const full: Step = { name: "full", workloads };
    const stages = this.task.stages ?? [];
    if (split !== "train" || !this.cascade || stages.length === 0) return [full];
    const steps = stages.map((stage): Step => {
      let selected: Workload[];
      const pick = stage.workloads;
      if (typeof pick === "function") {
        try {
          selected = workloads.filter((w, i) => pick(w, i));
        } catch (err) {
          throw new TaskBug(`stage "${stage.name}": the workload filter failed: ${message(err)}`);
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

  /** How this candidate runs: a function over workloads, or its compile error. */
  private async runner(code: string, split: Split): Promise<Runner | string> {
    const task = this.task;
    const limits = this.limits;
    if (task.external) {
      const sandbox = this.sandbox;
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
      sourcefile: SOURCEFILE,
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
      const result = await this.sandbox.run(job);
      if (result.status === "ok" && result.outputs.length !== workloads.length) {
        throw new Error(
          `the sandbox returned ${result.outputs.length} outputs for ${workloads.length} workloads`,
        );
      }
      const results = workloads.map((w, i) => this.judge(w, result, i, mapped, check));
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
  private judge(
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
      throw new TaskBug(`task.check failed on workload "${w.id}": ${message(err)}`);
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

  /** The feedback body: the task's own, else the external evaluator's, else the default lines. */
  private body(results: WorkloadResult[], workloads: Workload[], external?: string): string {
    if (!this.task.feedback) return external ?? defaultFeedback(results, this.task);
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
    stages: StageResult[] = [failedStage("full", metrics)],
    external: Pick<Batch, "feedback" | "artifacts"> = {},
  ): EvaluationWithArtifacts {
    const feedback = composeFeedback({
      status,
      score: 0,
      metrics,
      results,
      error,
      body: results.length > 0 ? this.body(results, workloads, external.feedback) : "",
      log,
      compileError,
      task: this.task,
    });
    const evaluation: EvaluationWithArtifacts = {
      status,
      score: 0,
      metrics,
      workloads: results,
      stages,
      feedback,
      error,
      durationMs: this.now() - start,
    };
    if (external.artifacts) evaluation.artifacts = external.artifacts;
    return evaluation;
  }
}

/** An external evaluator's texts of several runs (cascade stages) read as one. */
function mergeExternal(
  a: Pick<Batch, "feedback" | "metrics" | "artifacts">,
  b: Pick<Batch, "feedback" | "metrics" | "artifacts">,
): Pick<Batch, "feedback" | "metrics" | "artifacts"> {
  const out: Pick<Batch, "feedback" | "metrics" | "artifacts"> = {};
  const feedback = [a.feedback, b.feedback].filter((t): t is string => t !== undefined && t !== "");
  if (feedback.length > 0) out.feedback = feedback.join("\n");
  if (a.metrics || b.metrics) out.metrics = { ...a.metrics, ...b.metrics };
  if (a.artifacts || b.artifacts) out.artifacts = { ...a.artifacts, ...b.artifacts };
  return out;
}

function failedStage(name: string, metrics: Metrics = {}): StageResult {
  return { name, score: 0, metrics, passed: false };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function validateMetrics(v: unknown, where: string): Metrics {
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

/** A stored evaluation good enough to serve (a persistent cache may hold anything). */
function looksLikeEvaluation(v: unknown): v is Evaluation {
  return (
    isRecord(v) &&
    typeof v.status === "string" &&
    typeof v.score === "number" &&
    Array.isArray(v.workloads) &&
    Array.isArray(v.stages) &&
    typeof v.feedback === "string"
  );
}
