import type { Metrics, Split, WorkloadResult } from "../core/types.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { ExternalEvaluator, Task, Workload } from "../task/contract.ts";
import type { Batch } from "./batch.ts";
import { isRecord, validateMetrics } from "./validate.ts";

export interface ExternalRun {
  sandbox: Sandbox;
  task: Task;
  external: ExternalEvaluator;
  candidateFile: string;
  code: string;
  split: Split;
  workloads: Workload[];
  limits: { timeoutMs: number; memoryMb: number; cpuMs?: number };
}

const MAX_ERROR = 4000;
const MAX_FEEDBACK = 20_000;
const MAX_ARTIFACTS = 32;
const MAX_ARTIFACT = 64 * 1024;

/**
 * One run of a task's external evaluator on some workloads: the candidate's
 * file and `workloads.json` (id and input of each workload of this run, nothing
 * else) go into the job folder, the command runs in the sandbox, and its JSON
 * is validated here. The evaluator is the task's trusted code; what it prints is
 * checked for shape, and the split's score is still `task.aggregate`'s.
 */
export async function runExternal(r: ExternalRun): Promise<Batch> {
  const runCommand = r.sandbox.runCommand?.bind(r.sandbox);
  if (!runCommand) throw new Error("this sandbox cannot run external evaluators");
  const argv =
    typeof r.external.command === "string"
      ? r.external.command.split(/\s+/).filter(Boolean)
      : [...r.external.command];
  const workloadsJson = JSON.stringify(r.workloads.map((w) => ({ id: w.id, input: w.input })));
  const res = await runCommand({
    argv,
    cwd: r.task.dir,
    files: {
      candidate: { name: r.candidateFile, content: r.code },
      workloads: { name: "workloads.json", content: workloadsJson },
    },
    vars: { split: r.split, task: r.task.dir },
    timeoutMs: r.limits.timeoutMs,
    memoryMb: r.limits.memoryMb,
    ...(r.limits.cpuMs === undefined ? {} : { cpuMs: r.limits.cpuMs }),
  });
  const notRun = (error = "not run"): WorkloadResult[] =>
    r.workloads.map((w) => ({ workload: w.id, valid: false, metrics: {}, error }));
  const none = new Set<string>();
  if (res.status !== "ok") {
    // A crash may be the machine (or the interpreter) rather than the code: not cached.
    return {
      status: res.status,
      results: notRun(),
      thrown: none,
      log: res.log,
      error: res.error ?? `the evaluator ended with status ${res.status}`,
      cacheable: false,
    };
  }
  let parsed: ParsedResult;
  try {
    parsed = parseResult(res.stdout, r.workloads);
  } catch (err) {
    return {
      status: "error",
      results: notRun(),
      thrown: none,
      log: res.log,
      error: `the evaluator's result is unusable: ${(err as Error).message}`,
      cacheable: false,
    };
  }
  const batch: Batch = {
    status: parsed.error === undefined ? "ok" : "error",
    results: parsed.results,
    thrown: parsed.error === undefined ? none : new Set(r.workloads.map((w) => w.id)),
    log: res.log,
    cacheable: true,
  };
  if (parsed.error !== undefined) batch.error = parsed.error;
  if (parsed.feedback !== undefined) batch.feedback = parsed.feedback;
  if (parsed.metrics !== undefined) batch.metrics = parsed.metrics;
  if (parsed.artifacts !== undefined) batch.artifacts = parsed.artifacts;
  return batch;
}

interface ParsedResult {
  results: WorkloadResult[];
  error?: string;
  feedback?: string;
  metrics?: Metrics;
  artifacts?: Record<string, string>;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function metricsOf(v: unknown, where: string): Metrics {
  return v === undefined ? {} : validateMetrics(v, where);
}

/**
 * The evaluator's stdout: exactly one JSON object (see docs/sandbox.md),
 * `{ workloads: [{ id, valid?, score?, metrics?, error?, durationMs? }],
 *    error?, feedback?, metrics?, artifacts? }`.
 */
export function parseResult(stdout: string, workloads: readonly Workload[]): ParsedResult {
  const text = stdout.trim();
  if (text === "") throw new Error("it printed nothing on stdout");
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(`stdout is not one JSON object: ${JSON.stringify(clip(text, 200))}`);
  }
  if (!isRecord(v)) throw new Error("stdout must be a JSON object");
  const out: ParsedResult = { results: [] };
  if (v.error !== undefined && v.error !== null) {
    if (typeof v.error !== "string") throw new Error("error must be a string");
    out.error = clip(v.error, MAX_ERROR);
  }
  if (v.feedback !== undefined) {
    if (typeof v.feedback !== "string") throw new Error("feedback must be a string");
    out.feedback = clip(v.feedback, MAX_FEEDBACK);
  }
  if (v.metrics !== undefined) out.metrics = metricsOf(v.metrics, "the result");
  if (v.artifacts !== undefined) {
    if (!isRecord(v.artifacts)) throw new Error("artifacts must be an object of strings");
    const entries = Object.entries(v.artifacts);
    if (entries.length > MAX_ARTIFACTS) throw new Error(`more than ${MAX_ARTIFACTS} artifacts`);
    out.artifacts = {};
    for (const [k, a] of entries) {
      if (typeof a !== "string") throw new Error(`artifacts.${k} must be a string`);
      out.artifacts[k] = clip(a, MAX_ARTIFACT);
    }
  }
  const list = v.workloads ?? [];
  if (!Array.isArray(list)) throw new Error("workloads must be a list");
  const wanted = new Set(workloads.map((w) => w.id));
  const byId = new Map<string, WorkloadResult>();
  for (const [i, item] of list.entries()) {
    const at = `workloads[${i}]`;
    if (!isRecord(item) || typeof item.id !== "string") throw new Error(`${at} has no string id`);
    if (!wanted.has(item.id)) throw new Error(`${at}: "${item.id}" is not a workload of this run`);
    if (byId.has(item.id)) throw new Error(`${at}: "${item.id}" appears twice`);
    const error = item.error === undefined || item.error === null ? undefined : String(item.error);
    const valid = item.valid === undefined ? error === undefined : item.valid;
    if (typeof valid !== "boolean") throw new Error(`${at}.valid must be true or false`);
    const r: WorkloadResult = { workload: item.id, valid, metrics: metricsOf(item.metrics, at) };
    if (item.score !== undefined) {
      const s = item.score;
      if (typeof s !== "number" || !Number.isFinite(s) || s < 0 || s > 100)
        throw new Error(`${at}.score must be a number from 0 to 100 (got ${JSON.stringify(s)})`);
      r.score = s;
    }
    if (item.durationMs !== undefined) {
      if (typeof item.durationMs !== "number" || !(item.durationMs >= 0))
        throw new Error(`${at}.durationMs must be a non-negative number`);
      r.durationMs = item.durationMs;
    }
    if (!valid) r.error = clip(error ?? "invalid output", MAX_ERROR);
    else if (error !== undefined) r.error = clip(error, MAX_ERROR);
    byId.set(item.id, r);
  }
  out.results = workloads.map(
    (w) =>
      byId.get(w.id) ?? {
        workload: w.id,
        valid: false,
        metrics: {},
        error: out.error === undefined ? "the evaluator returned no result for this workload" : "not run",
      },
  );
  return out;
}
