/**
 * A stored run written straight into a real SQLite store, without an engine:
 * the shapes a long run stores (proposals with prompts and replies, the cost
 * ledger, failed and rejected children, test scores of each new best), in
 * seconds, for the dashboard's tests and bench.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { RunEvent } from "../../src/core/events.ts";
import { candidateId } from "../../src/core/ids.ts";
import { Rng } from "../../src/core/rng.ts";
import type { Evaluation, Program, WorkloadResult } from "../../src/core/types.ts";
import { unifiedDiff } from "../../src/edit/diff.ts";
import { parseRunConfig } from "../../src/engine/config.ts";
import type { Store } from "../../src/store/store.ts";

export const SEED_CODE = readFileSync(
  join(import.meta.dirname, "..", "..", "tasks", "txn-scheduling", "initial.ts"),
  "utf8",
);

export interface SyntheticRun {
  /** Candidates after the seed. */
  candidates: number;
  seed?: number;
  /** Append run_stopped at the end (default true). */
  stop?: boolean;
  models?: string[];
  /** The run's `strategy:` section (default: islands with 3 islands). */
  strategy?: Record<string, unknown>;
}

export interface SyntheticRunResult {
  programs: number;
  failed: number;
  rejected: number;
  bestId: string;
  costUsd: number;
}

export function syntheticConfig(models: string[], strategy: Record<string, unknown> = { islands: 3 }) {
  return parseRunConfig(
    {
      task: "txn-scheduling",
      models: models.map((model) => ({ model, baseUrl: "http://127.0.0.1:9/v1" })),
      strategy,
    },
    "synthetic run",
  );
}

/**
 * `spread` moves each workload's score away from the overall one (its mean
 * stays `score`), so that programs trade workloads as they would on a Pareto front.
 */
export function evaluationOf(
  score: number,
  status: Evaluation["status"] = "ok",
  spread: readonly [number, number, number] = [0, 0, 0],
): Evaluation {
  const ok = status === "ok";
  const mean = (spread[0] + spread[1] + spread[2]) / 3;
  return {
    status,
    score: ok ? score : 0,
    metrics: ok ? { makespan: Math.round(537 - score * 4.4) } : {},
    workloads: ["workload_1", "workload_2", "workload_3"].map(
      (workload, i): WorkloadResult => ({
        workload,
        valid: ok,
        ...(ok ? { score: Math.max(0, Math.min(100, score + (spread[i] ?? 0) - mean)) } : {}),
        metrics: ok ? { makespan: Math.round(180 - score + i * 7), lower_bound: 16 + i } : {},
        ...(ok ? {} : { error: "schedule is missing transaction 7" }),
      }),
    ),
    stages: [],
    feedback: ok ? `Score ${score.toFixed(2)}/100 over 3 workloads.` : "",
    ...(ok ? {} : { error: "schedule is missing transaction 7" }),
    durationMs: 40,
  };
}

/** Appends a whole run to `store` (batched, as an engine would over hours). */
export async function writeSyntheticRun(store: Store, options: SyntheticRun): Promise<SyntheticRunResult> {
  const rng = new Rng(options.seed ?? 7);
  const models = options.models ?? ["openai:mock-coder", "openai:mock-small"];
  const config = syntheticConfig(models, options.strategy);
  const programs: Program[] = [];
  let batch: RunEvent[] = [
    { type: "run_started", taskId: "txn-scheduling", taskVersion: "1", config, seed: config.seed },
  ];
  const flush = async (force = false) => {
    if (batch.length > 0 && (force || batch.length >= 1500)) {
      await store.append(batch);
      batch = [];
    }
  };
  const result: SyntheticRunResult = { programs: 0, failed: 0, rejected: 0, bestId: "", costUsd: 0 };
  let best: Program | null = null;

  for (let i = 0; i <= options.candidates; i++) {
    const id = candidateId(i);
    const parent = i === 0 ? null : programs[rng.int(programs.length)]!;
    const size = parent ? Number(/SAMPLE_SIZE = (\d+)/.exec(parent.code)?.[1] ?? 10) + 1 + rng.int(3) : 10;
    const code = SEED_CODE.replace(/const SAMPLE_SIZE = \d+;/, `const SAMPLE_SIZE = ${size};`);
    const diff = parent ? unifiedDiff(parent.code, code) : "";
    const model = i === 0 ? "initial" : models[i % models.length]!;
    const roll = rng.next();
    const outcome = i === 0 ? "ok" : roll < 0.08 ? "rejected" : roll < 0.18 ? "error" : "ok";
    const prompt = parent ? `# Task\nSchedule transactions.\n\n# Current program\n${parent.code}` : "";
    const reply = parent ? `Widen the sample to ${size}.\n<<<<<<< SEARCH\n...\n>>>>>>> REPLACE` : "";
    const usage = parent
      ? {
          inputTokens: 1500 + rng.int(500),
          outputTokens: 200 + rng.int(100),
          costUsd: 0.002 + rng.next() * 0.002,
        }
      : { inputTokens: 0, outputTokens: 0, costUsd: 0 };
    result.costUsd += usage.costUsd;
    batch.push({
      type: "candidate_proposed",
      candidateId: id,
      iteration: i,
      parentId: parent?.id ?? null,
      tag: parent ? parent.tag : "0",
      code: outcome === "rejected" ? null : code,
      diff: outcome === "rejected" ? "" : diff,
      prompt,
      model,
      reply,
      usage,
      rng: rng.state(),
    });
    if (parent) {
      batch.push({
        type: "model_called",
        candidateId: id,
        iteration: i,
        role: "mutation",
        model,
        messages: [
          { role: "system", content: "You improve programs." },
          { role: "user", content: prompt },
        ],
        reply,
        finishReason: "stop",
        usage,
        outcome: "ok",
        attempt: 1,
        durationMs: 800,
      });
    }
    if (outcome === "rejected") {
      batch.push({ type: "edit_rejected", candidateId: id, reason: "SEARCH block not found in the program" });
      result.rejected++;
    } else if (outcome === "error") {
      batch.push({ type: "evaluation_finished", candidateId: id, evaluation: evaluationOf(0, "error") });
      result.failed++;
    } else {
      const score = Math.min(100, (parent?.score ?? 30) + (rng.next() - 0.45) * 6);
      const spread = [rng.next() * 8, rng.next() * 8, rng.next() * 8] as const;
      const evaluation = evaluationOf(score, "ok", spread);
      const program: Program = {
        id,
        parentId: parent?.id ?? null,
        code,
        score,
        metrics: evaluation.metrics,
        feedback: evaluation.feedback,
        tag: parent ? parent.tag : "0",
        generation: parent ? parent.generation + 1 : 0,
        iteration: i,
        diff,
        model,
        createdAt: 0,
      };
      programs.push(program);
      result.programs++;
      batch.push(
        { type: "evaluation_finished", candidateId: id, evaluation },
        { type: "program_inserted", program },
      );
      if (!best || score > best.score) {
        best = program;
        batch.push({ type: "test_evaluated", programId: id, evaluation: evaluationOf(score * 0.9) });
      }
    }
    await flush();
  }
  if (options.stop ?? true) batch.push({ type: "run_stopped", reason: "iterations" });
  await flush(true);
  result.bestId = best!.id;
  return result;
}

/**
 * One more candidate of a seeded run, stored as the engine stores one:
 * proposed from the seed, then evaluated with `status` (a failure by default).
 */
export function oneCandidate(
  iteration: number,
  options: {
    status?: Evaluation["status"];
    code?: string;
    diff?: string;
    prompt?: string;
    reply?: string;
  } = {},
): RunEvent[] {
  const id = candidateId(iteration);
  return [
    {
      type: "candidate_proposed",
      candidateId: id,
      iteration,
      parentId: candidateId(0),
      tag: "0",
      code: options.code ?? SEED_CODE,
      diff: options.diff ?? "",
      prompt: options.prompt ?? "Improve the program.",
      model: "openai:mock-coder",
      reply: options.reply ?? "r",
      usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.001 },
      rng: [1, 2, 3, 4],
    },
    {
      type: "evaluation_finished",
      candidateId: id,
      evaluation: evaluationOf(0, options.status ?? "timeout"),
    },
  ];
}
