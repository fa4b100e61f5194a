import type { Split, WorkloadResult } from "../core/types.ts";
import { DEFAULT_LIMITS } from "../evaluate/evaluator.ts";
import type { Limits } from "../evaluate/candidate.ts";
import { errorMessage, validateAggregate } from "../evaluate/validate.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { Task } from "../task/contract.ts";
import { type ProbeRun, prepare, type Ready, runProbe, runRepeated } from "./measure.ts";
import { type AuditProbe, type AuditSplit, auditProbes } from "./probes.ts";
import {
  type Growth,
  judge,
  type LeakProbe,
  WEAKNESS_CLASSES,
  type Weakness,
  type WeaknessClass,
} from "./verdict.ts";

/**
 * Why a task that calls models is not audited: its probes run outside any run, with
 * no models, ledger or budget to answer its candidates' calls or its judge, and
 * a program's behaviour would then be the missing models', not its own.
 */
export function modelsRefusal(taskId: string): string {
  return `task ${taskId} declares models (its candidates or its judge call them): adrs audit runs programs without models, ledger or budget, so it does not audit such a task`;
}

/** Calls on one input in one isolate for the leak probe. */
export const LEAK_CALLS = 8;

export interface AuditOptions {
  task: Task;
  sandbox: Sandbox;
  code: string;
  /** The program to compare with; default the task's seed. */
  baselineCode?: string;
  /** Names in compile errors. */
  sourcefile?: string;
  baselineFile?: string;
  /** Per sandbox job (one probe, two calls); default the task's limits. */
  limits?: Partial<Limits>;
  /** The splits to probe; default train, test and stress. The leak probe runs on the largest train workload either way. */
  splits?: readonly AuditSplit[];
  /** Probes run at once (the sandbox queues the rest); default 2. */
  concurrency?: number;
  /**
   * The baseline's runs kept between audits of one task with the same probes
   * and limits (the loop's gate audits many programs against the seed).
   */
  baselineMemo?: BaselineMemo;
  /** Called after each probe run (program or baseline). */
  onProgress?: (done: number, total: number, what: string) => void;
}

/** The baseline's runs of one audit, for the next (see `AuditOptions.baselineMemo`). */
export interface BaselineMemo {
  runs?: ProbeRun[];
  kept?: number[] | string;
}

/** One probe as reported: what it is, and each program's run on it. */
export interface ProbeReport {
  split: AuditSplit;
  workload: string;
  kind: "scale" | "edge" | "shift" | null;
  what: string | null;
  size: number | null;
  family: string | null;
  program: ProbeRun;
  baseline: ProbeRun;
}

export interface AuditReport {
  task: string;
  metric: { name: string; direction: "minimize" | "maximize" };
  /** The 0–100 score of train and test (null when a workload failed). */
  scores: Record<Split, { program: number | null; baseline: number | null }>;
  probes: ProbeReport[];
  growth: Growth[];
  leak: LeakProbe | null;
  weaknesses: Weakness[];
  shared: { where: string; reason: string }[];
  verdicts: Record<WeaknessClass, "pass" | "fail">;
  /** Set when the program does not compile: nothing else ran. */
  compileError?: string;
  summary: string;
}

/**
 * Audits a program against a baseline on every probe of the task's train,
 * test and stress splits (docs/audit.md). Resolves for anything the program
 * does; rejects for a baseline that does not compile or a task that fails.
 */
export async function auditProgram(o: AuditOptions): Promise<AuditReport> {
  const { task } = o;
  if (task.external)
    throw new Error(`task ${task.id} has an external evaluator: audit runs sandboxed tasks only`);
  if (task.models) throw new Error(modelsRefusal(task.id));
  const limits: Limits = {
    timeoutMs: o.limits?.timeoutMs ?? task.limits?.timeoutMs ?? DEFAULT_LIMITS.timeoutMs,
    memoryMb: o.limits?.memoryMb ?? task.limits?.memoryMb ?? DEFAULT_LIMITS.memoryMb,
  };
  const cpuMs = o.limits?.cpuMs ?? task.limits?.cpuMs;
  if (cpuMs !== undefined) limits.cpuMs = cpuMs;
  const probes = await auditProbes(task, o.splits);
  const baseline = await prepare(task, o.baselineCode ?? task.initialCode, o.baselineFile ?? "baseline.ts");
  if ("compileError" in baseline) throw new Error(`the baseline does not compile: ${baseline.compileError}`);
  const program = await prepare(task, o.code, o.sourcefile ?? "program.ts");
  if ("compileError" in program) return compileFailure(task, program.compileError);

  const total = 2 * probes.length + 2;
  let done = 0;
  const step = (what: string) => o.onProgress?.(++done, total, what);
  const runAll = (which: string, p: Ready) =>
    pool(probes, o.concurrency ?? 2, async (probe) => {
      const run = await runProbe(task, o.sandbox, limits, p, probe);
      step(`${which} ${probe.split}/${probe.workload.id}`);
      return run;
    });
  const mine = await runAll("program", program);
  const memo = o.baselineMemo;
  const theirs = memo?.runs?.length === probes.length ? memo.runs : await runAll("baseline", baseline);
  if (memo) memo.runs = theirs;
  const leak = await leakProbe(o, limits, probes, program, baseline, step, memo);
  const judged = judge(task, probes, mine, theirs, leak);
  const verdicts = Object.fromEntries(
    WEAKNESS_CLASSES.map((c) => [c, judged.weaknesses.some((w) => w.class === c) ? "fail" : "pass"]),
  ) as Record<WeaknessClass, "pass" | "fail">;
  const report: AuditReport = {
    task: task.id,
    metric: { name: task.metric.name, direction: task.metric.direction },
    scores: {
      train: scores(task, "train", probes, mine, theirs),
      test: scores(task, "test", probes, mine, theirs),
    },
    probes: probes.map((p, i) => probeReport(p, mine[i] as ProbeRun, theirs[i] as ProbeRun)),
    growth: judged.growth,
    leak,
    weaknesses: judged.weaknesses,
    shared: judged.shared,
    verdicts,
    summary: "",
  };
  report.summary = summaryLine(report);
  return report;
}

/** The summary line: how many weaknesses of which classes, or none. */
export function summaryLine(r: AuditReport): string {
  if (r.compileError !== undefined) return "1 weakness: crash (the program does not compile)";
  const failed = WEAKNESS_CLASSES.filter((c) => r.verdicts[c] === "fail");
  const n = r.weaknesses.length;
  const probes = `${r.probes.length} probes`;
  if (n === 0) return `no weakness found on ${probes} (${r.shared.length} shared with the baseline)`;
  return `${n} weakness${n === 1 ? "" : "es"} on ${probes}: ${failed.join(", ")}`;
}

async function leakProbe(
  o: AuditOptions,
  limits: Limits,
  probes: readonly AuditProbe[],
  program: Ready,
  baseline: Ready,
  step: (what: string) => void,
  memo: BaselineMemo | undefined,
): Promise<LeakProbe | null> {
  // The largest train input: what a leak that keeps inputs keeps most of.
  const train = probes.some((p) => p.split === "train")
    ? probes.filter((p) => p.split === "train")
    : await auditProbes(o.task, ["train"]);
  const largest = train.reduce<AuditProbe | null>(
    (a, p) =>
      a && JSON.stringify(a.workload.input).length >= JSON.stringify(p.workload.input).length ? a : p,
    null,
  );
  if (!largest) return null;
  const input = largest.workload.input;
  const mine = await runRepeated(o.sandbox, limits, program, input, LEAK_CALLS);
  step("program leak");
  const theirs = memo?.kept ?? (await runRepeated(o.sandbox, limits, baseline, input, LEAK_CALLS));
  if (memo) memo.kept = theirs;
  step("baseline leak");
  return { workload: largest.workload.id, program: mine, baseline: theirs };
}

function scores(
  task: Task,
  split: Split,
  probes: readonly AuditProbe[],
  mine: readonly ProbeRun[],
  theirs: readonly ProbeRun[],
): { program: number | null; baseline: number | null } {
  const idx = probes.flatMap((p, i) => (p.split === split ? [i] : []));
  if (idx.length === 0) return { program: null, baseline: null };
  const workloads = idx.map((i) => probes[i]?.workload).filter((w) => w !== undefined);
  const score = (runs: readonly ProbeRun[]) => {
    const results: WorkloadResult[] = idx.map((i) => {
      const r = runs[i] as ProbeRun;
      return { workload: probes[i]?.workload.id ?? "", valid: r.status === "ok", metrics: r.metrics };
    });
    if (results.some((r) => !r.valid)) return null;
    try {
      return validateAggregate(task.aggregate(split, results, workloads)).score;
    } catch (err) {
      throw new Error(`task ${task.id}: aggregate failed on the ${split} split: ${errorMessage(err)}`);
    }
  };
  return { program: score(mine), baseline: score(theirs) };
}

function probeReport(p: AuditProbe, program: ProbeRun, baseline: ProbeRun): ProbeReport {
  return {
    split: p.split,
    workload: p.workload.id,
    kind: p.probe?.kind ?? null,
    what: p.probe?.what ?? null,
    size: p.probe?.size ?? null,
    family: p.probe?.family ?? null,
    program,
    baseline,
  };
}

function compileFailure(task: Task, error: string): AuditReport {
  const verdicts = Object.fromEntries(WEAKNESS_CLASSES.map((c) => [c, c === "crash" ? "fail" : "pass"]));
  const report: AuditReport = {
    task: task.id,
    metric: { name: task.metric.name, direction: task.metric.direction },
    scores: { train: { program: null, baseline: null }, test: { program: null, baseline: null } },
    probes: [],
    growth: [],
    leak: null,
    weaknesses: [{ class: "crash", where: "compile", reason: error.split("\n")[0] ?? error }],
    shared: [],
    verdicts: verdicts as Record<WeaknessClass, "pass" | "fail">,
    compileError: error,
    summary: "",
  };
  report.summary = summaryLine(report);
  return report;
}

/** Maps items through `fn` with at most `width` at once, results in order. */
async function pool<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
  return out;
}
