/**
 * Parts that answer at once, for engine tests and the engine bench: a toy
 * task, an evaluator that scores code without a sandbox, and a model that
 * replies without a network. Everything is deterministic, so a run made from
 * them is a function of its seed.
 *
 * The toy task: the program holds `const KNOB = n;` in its EVOLVE-BLOCK, and
 * workload i wants the knob near 20 + 10·i (score 100 − 2·distance, at least
 * 0). Code containing `throw` fails (error); code containing `INVALID` gives
 * an invalid output.
 */
import type { Evaluation, Program, Settled, Split, WorkloadResult } from "../../src/core/types.ts";
import type { JobQueue } from "../../src/queue/queue.ts";
import type { Completion, CompletionRequest, LlmClient } from "../../src/llm/client.ts";
import { LlmError } from "../../src/llm/errors.ts";
import type { Task } from "../../src/task/contract.ts";

export const TOY_CODE = [
  "// EVOLVE-BLOCK-START",
  "const KNOB = 10;",
  "const SPARE = 3.5;",
  "// EVOLVE-BLOCK-END",
  "export function knob(): number {",
  "  return KNOB + SPARE * 0;",
  "}",
  "",
].join("\n");

/** The knob a program sets (null when it has none). */
export function knobOf(code: string): number | null {
  const m = /const KNOB = (-?\d+(?:\.\d+)?);/.exec(code);
  return m ? Number(m[1]) : null;
}

/** What a workload of the toy task wants the knob to be. */
export function toyTarget(index: number): number {
  return 20 + 10 * index;
}

/** A task object good enough for the engine: it reads id, version, spec and the initial code. */
export function toyTask(initialCode = TOY_CODE): Task {
  return {
    id: "toy",
    title: "a knob to turn",
    version: "1",
    dir: ".",
    metric: { name: "distance", direction: "minimize" },
    anchors: { baseline: 40, target: 0 },
    workloads: () => [],
    aggregate: () => ({ score: 0, metrics: {} }),
    spec: "Turn the knob so that every workload is served.",
    initialCode,
    driverPath: "",
    initialPath: "initial.ts",
  } as unknown as Task;
}

function workloadResult(id: string, index: number, knob: number): WorkloadResult {
  const distance = Math.abs(knob - toyTarget(index));
  return { workload: id, valid: true, score: Math.max(0, 100 - 2 * distance), metrics: { distance } };
}

/** An ok evaluation with these per-workload results (score: their mean). */
export function evaluationOf(results: WorkloadResult[], feedback = ""): Evaluation {
  const score = results.reduce((a, r) => a + (r.score ?? 0), 0) / Math.max(1, results.length);
  const distance = results.reduce((a, r) => a + (r.metrics.distance ?? 0), 0) / Math.max(1, results.length);
  return {
    status: "ok",
    score,
    metrics: { distance },
    workloads: results,
    stages: [{ name: "full", score, metrics: { distance }, passed: true }],
    feedback: feedback || `score ${score.toFixed(2)}`,
    durationMs: 0,
  };
}

export interface InstantEvaluatorOptions {
  /** Train workloads (default 3) and test workloads (default 2). */
  train?: number;
  test?: number;
  /** Held before each evaluation resolves (to keep evaluations in flight in a test). */
  gate?: (code: string, split: Split) => Promise<void> | void;
}

/** Scores toy programs at once, as the trusted evaluator would: per workload, and on part of a split. */
export class InstantEvaluator implements JobQueue {
  /** Every call, in order: split and the workloads asked for (all when none). */
  readonly calls: { split: Split; workloads: readonly string[] | undefined; code: string }[] = [];
  private readonly ids: Record<Split, string[]>;

  constructor(private readonly options: InstantEvaluatorOptions = {}) {
    this.ids = {
      train: Array.from({ length: options.train ?? 3 }, (_, i) => `w${i}`),
      test: Array.from({ length: options.test ?? 2 }, (_, i) => `t${i}`),
    };
  }

  async workloadIds(split: Split): Promise<string[]> {
    return [...this.ids[split]];
  }

  async evaluate(code: string, split: Split, workloads?: readonly string[]): Promise<Evaluation> {
    this.calls.push({ split, workloads, code });
    await this.options.gate?.(code, split);
    const all = this.ids[split];
    const ids = workloads ? all.filter((id) => workloads.includes(id)) : all;
    const knob = knobOf(code);
    if (code.includes("throw") || knob === null) {
      return failed("error", `Error: ${knob === null ? "no KNOB" : "thrown"}`);
    }
    if (code.includes("INVALID")) return failed("invalid", `workload ${ids[0]}: invalid output`);
    // Test workloads sit between the train ones, so a test score is near (not equal to) the train score.
    const offset = split === "test" ? 0.5 : 0;
    return evaluationOf(ids.map((id) => workloadResult(id, all.indexOf(id) + offset, knob)));
  }
}

function failed(status: Evaluation["status"], error: string): Evaluation {
  return {
    status,
    score: 0,
    metrics: {},
    workloads: [],
    stages: [{ name: "full", score: 0, metrics: {}, passed: false }],
    feedback: error,
    error,
    durationMs: 0,
  };
}

/** A reply that moves the parent's knob by `step` (a SEARCH/REPLACE block), or none when the prompt shows no knob. */
export function nudgeKnob(request: CompletionRequest, step = 3): string {
  const user = request.messages.at(-1)?.content ?? "";
  const current = user.slice(user.indexOf("# Current program"));
  const knob = knobOf(current);
  if (knob === null) return "I see no knob.";
  return [
    "Move the knob toward the workloads.",
    "<<<<<<< SEARCH",
    `const KNOB = ${knob};`,
    "=======",
    `const KNOB = ${knob + step};`,
    ">>>>>>> REPLACE",
  ].join("\n");
}

export interface InstantClient extends LlmClient {
  /** Every request, in order. */
  readonly requests: CompletionRequest[];
}

/**
 * A model that answers at once with `reply(request)`, charging `costUsd` per
 * call; it holds that cost against the budget first, as a real client does.
 */
export function instantClient(
  reply: (request: CompletionRequest) => string = nudgeKnob,
  options: { model?: string; costUsd?: number } = {},
): InstantClient {
  const model = options.model ?? "openai:instant";
  const costUsd = options.costUsd ?? 0;
  const requests: CompletionRequest[] = [];
  return {
    model,
    requests,
    async complete(request): Promise<Completion> {
      if (request.reserve && !(await request.reserve(1, costUsd))) {
        throw new LlmError({
          kind: "budget",
          model,
          message: `${model}: not sent, over the budget`,
          attempts: 0,
        });
      }
      requests.push(request);
      return {
        text: reply(request),
        model,
        usage: { inputTokens: 1000, outputTokens: 50, costUsd },
        finishReason: "stop",
      };
    },
  };
}

/** A program settled ok, as the engine hands it to a strategy (per-workload scores from `workloadScores`). */
export function settledOk(program: Program, workloadScores: Record<string, number> = {}): Settled {
  const evaluation = evaluationOf(
    Object.entries(workloadScores).map(([workload, score]) => ({
      workload,
      valid: true,
      score,
      metrics: {},
    })),
    program.feedback,
  );
  evaluation.score = program.score;
  return {
    status: "ok",
    candidate: {
      id: program.id,
      iteration: program.iteration,
      parentId: program.parentId ?? "",
      tag: program.tag,
      code: program.code,
      diff: program.diff,
      model: program.model,
    },
    evaluation,
    program,
  };
}
