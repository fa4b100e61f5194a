import type { EvaluationStatus, WorkloadResult } from "../core/types.ts";
import type { Task } from "../task/contract.ts";

const MAX_LINES = 8;
const MAX_LINE = 160;
const MAX_ERROR = 1200;
const LOG_LINES = 10;

/** Numbers short enough for a prompt, precise enough to compare. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e9) return String(x);
  return String(Number(x.toPrecision(4)));
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Workloads worst first: failures (in their order), then valid ones by score, or by the
 * task's raw metric in its bad direction when workloads carry no score.
 */
export function worstFirst(results: WorkloadResult[], task: Pick<Task, "metric">): WorkloadResult[] {
  const failed = results.filter((r) => !r.valid);
  const valid = results.filter((r) => r.valid);
  const sign = task.metric.direction === "minimize" ? -1 : 1;
  const goodness = (r: WorkloadResult) => {
    if (r.score !== undefined) return r.score;
    const raw = r.metrics[task.metric.name];
    return raw === undefined ? Number.NEGATIVE_INFINITY : sign * raw;
  };
  valid.sort((a, b) => {
    const x = goodness(a);
    const y = goodness(b);
    return x === y ? 0 : x < y ? -1 : 1;
  });
  return [...failed, ...valid];
}

/**
 * One short line per workload, worst first, with its time, except for a task whose
 * candidates call models: their time is mostly the model's wait, which would only make
 * the next prompt differ from run to run (and a replay leave its recording).
 */
export function defaultFeedback(results: WorkloadResult[], task: Pick<Task, "metric" | "models">): string {
  if (results.length === 0) return "";
  const timed = task.models?.candidate === undefined;
  const lines = worstFirst(results, task)
    .slice(0, MAX_LINES)
    .map((r) => {
      const time = timed && r.durationMs !== undefined ? ` (${formatNumber(r.durationMs)} ms)` : "";
      if (!r.valid) {
        const first = (r.error ?? "invalid output").split("\n")[0] ?? "";
        return `- ${r.workload}: ${r.error === "not run" ? "not run" : "FAILED"}${r.error === "not run" ? "" : `: ${clip(first, MAX_LINE)}`}${time}`;
      }
      const keys = Object.keys(r.metrics).sort((a, b) =>
        a === task.metric.name ? -1 : b === task.metric.name ? 1 : 0,
      );
      const metrics = keys
        .slice(0, 4)
        .map((k) => `${k}=${formatNumber(r.metrics[k] as number)}`)
        .join(", ");
      const score = r.score !== undefined ? `score ${formatNumber(r.score)}, ` : "";
      return `- ${r.workload}: ${score}${metrics}${time}`;
    });
  if (results.length > MAX_LINES) lines.push(`- … and ${results.length - MAX_LINES} more workloads`);
  return lines.join("\n");
}

export interface FeedbackParts {
  status: EvaluationStatus;
  score: number;
  metrics: Record<string, number>;
  results: WorkloadResult[];
  /** The first error: compile error, sandbox failure or first invalid output. */
  error?: string;
  /** The body: the task's own feedback, or the default lines. */
  body: string;
  log: string;
  compileError: boolean;
  task: Pick<Task, "metric">;
  /** Set when a cascade stage stopped an ok candidate before the full evaluation. */
  stopped?: { stage: string; threshold: number; total: number };
}

/** Headline, the first error, per-workload lines and, on failure, the end of the program's output. */
export function composeFeedback(p: FeedbackParts): string {
  const n = p.results.length;
  const finished = p.results.filter((r) => r.durationMs !== undefined).length;
  const primary = p.metrics[p.task.metric.name];
  const parts: string[] = [];
  switch (p.status) {
    case "ok":
      if (p.stopped) {
        const { stage, threshold, total } = p.stopped;
        parts.push(
          `Score ${formatNumber(p.score)}/100 in the cascade stage "${stage}" over ${n} of ${total} workloads, ` +
            `below the ${formatNumber(threshold)} needed for the next stage; the other workloads did not run.`,
        );
        if (primary !== undefined)
          parts.push(
            `${p.task.metric.name} = ${formatNumber(primary)} (${p.task.metric.direction === "minimize" ? "lower" : "higher"} is better).`,
          );
        break;
      }
      parts.push(
        `Score ${formatNumber(p.score)}/100 over ${n} workloads` +
          (primary !== undefined
            ? `; ${p.task.metric.name} = ${formatNumber(primary)} (${p.task.metric.direction === "minimize" ? "lower" : "higher"} is better).`
            : "."),
      );
      break;
    case "invalid": {
      const bad = p.results.filter((r) => !r.valid).length;
      parts.push(`Invalid: ${bad} of ${n} workloads failed; score 0.`);
      break;
    }
    case "error":
      parts.push(
        p.compileError
          ? "The program does not compile; score 0."
          : "The program failed with an error; score 0.",
      );
      break;
    case "timeout":
      parts.push(`Timed out after ${finished} of ${n} workloads; score 0.`);
      break;
    case "crash":
      parts.push(`The sandbox process crashed after ${finished} of ${n} workloads; score 0.`);
      break;
  }
  if (p.error) parts.push(`Error: ${clip(p.error, MAX_ERROR)}`);
  if (p.body) parts.push(p.body);
  if (p.status !== "ok" && p.log.trim() !== "") {
    const lines = p.log
      .trimEnd()
      .split("\n")
      .slice(-LOG_LINES)
      .map((l) => clip(l, MAX_LINE));
    parts.push(`Program output (last lines):\n${lines.join("\n")}`);
  }
  return parts.join("\n");
}
