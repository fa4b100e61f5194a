/**
 * The framework's own overhead per iteration (select, prompt, apply, store,
 * ingest; model and evaluation excluded) and the engine's memory, with 10,000
 * programs stored. The model is an in-memory client that answers at once and
 * the evaluator returns at once, so what is timed is the engine itself.
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunEvent } from "../src/core/events.ts";
import { candidateId } from "../src/core/ids.ts";
import { Rng } from "../src/core/rng.ts";
import type { Evaluation, Program, Split } from "../src/core/types.ts";
import { parseRunConfig } from "../src/engine/config.ts";
import { Engine } from "../src/engine/engine.ts";
import { LlmProposer } from "../src/engine/llm-proposer.ts";
import { Ensemble } from "../src/llm/ensemble.ts";
import { loadTemplates } from "../src/prompt/index.ts";
import { createStrategy } from "../src/search/index.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import { loadTask } from "../src/task/load.ts";
import { evaluationOf, instantClient } from "../test/support/instant.ts";
import type { BenchResult } from "./run.ts";

const STORED = 10_000;
const ITERATIONS = 400;

export default async function engineBench(): Promise<BenchResult[]> {
  return [
    ...(await measure("islands", { populationSize: STORED + ITERATIONS + 10 }, 3, (rng) =>
      String(rng.int(3)),
    )),
    // GEPA keeps every program and its scores on every workload: 9, as in the issue.
    ...(await measure("gepa", { kind: "gepa" }, 9, (rng) =>
      JSON.stringify({ op: "reflect", minibatch: [`w${rng.int(9)}`] }),
    )),
  ];
}

/** The engine's overhead with `strategy` over 10,000 stored programs scored on `workloads` train workloads. */
async function measure(
  name: string,
  strategy: Record<string, unknown>,
  workloads: number,
  tagOf: (rng: Rng) => string,
): Promise<BenchResult[]> {
  const WORKLOADS = Array.from({ length: workloads }, (_, i) => `w${i}`);
  /** An ok evaluation around `score`, each workload a little off it, as the evaluator reports one. */
  const fakeEvaluation = (score: number): Evaluation =>
    evaluationOf(
      WORKLOADS.map((workload) => ({
        workload,
        valid: true,
        score: Math.max(0, Math.min(100, score + (rng.next() - 0.5) * 10)),
        metrics: { makespan: 537 - score * 4.4 },
      })),
    );
  const task = await loadTask("txn-scheduling");
  const dir = join(tmpdir(), `adrs-bench-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const store = await openSqliteStore(join(dir, "run.db"));
  const config = parseRunConfig(
    {
      task: "txn-scheduling",
      models: [{ model: "openai:bench" }],
      budget: { iterations: STORED + ITERATIONS },
      concurrency: { proposals: 1, evaluations: 1 },
      strategy,
    },
    "bench",
  );

  // 10,000 programs, as a long run would have stored them: varied code, scores and islands.
  const rng = new Rng(1);
  const seedCode = task.initialCode;
  let batch: RunEvent[] = [
    { type: "run_started", taskId: task.id, taskVersion: task.version, config, seed: 1 },
  ];
  for (let i = 0; i < STORED; i++) {
    const id = candidateId(i);
    const code = seedCode.replace(
      "const SAMPLE_SIZE = 10;",
      `const SAMPLE_SIZE = 10;\nconst VARIANT_${i} = ${i};`,
    );
    const score = rng.next() * 60;
    const evaluation = fakeEvaluation(score);
    const program: Program = {
      id,
      parentId: i === 0 ? null : candidateId(rng.int(i)),
      code,
      score,
      metrics: evaluation.metrics,
      feedback: evaluation.feedback,
      tag: i === 0 ? "" : tagOf(rng),
      generation: 1,
      iteration: i,
      diff: "",
      model: i === 0 ? "initial" : "openai:bench",
      createdAt: 0,
    };
    batch.push(
      {
        type: "candidate_proposed",
        candidateId: id,
        iteration: i,
        parentId: program.parentId,
        tag: program.tag,
        code,
        diff: "",
        prompt: "",
        model: program.model,
        reply: "",
        usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
        rng: rng.state(),
      },
      { type: "evaluation_finished", candidateId: id, evaluation },
      { type: "program_inserted", program },
    );
    if (batch.length > 1500) {
      await store.append(batch);
      batch = [];
    }
  }
  await store.append(batch);

  const client = instantClient(
    () =>
      "Widen the sample.\n<<<<<<< SEARCH\nconst SAMPLE_SIZE = 10;\n=======\nconst SAMPLE_SIZE = 12;\n>>>>>>> REPLACE",
    { model: "openai:bench" },
  );
  const proposer = new LlmProposer(new Ensemble([{ client, weight: 1 }]), loadTemplates(), "diff");
  const evaluator = {
    workloadIds: async (_split: Split) => WORKLOADS,
    evaluate: async () => fakeEvaluation(rng.next() * 60),
  };
  const times: number[] = [];
  let last = 0;
  // CPU time of this process between the first and the last iteration: unlike wall time,
  // it hardly moves when other processes load the machine.
  const cpu: { start?: NodeJS.CpuUsage; used?: NodeJS.CpuUsage } = {};
  const memoryBefore = process.memoryUsage().rss;
  const engine = new Engine({
    config,
    task,
    store,
    strategy: createStrategy(config.strategy),
    proposer,
    queue: evaluator,
    onEvent: (e) => {
      // An iteration ends when its candidate settles: evaluated, or turned away by a screen.
      if (e.type !== "evaluation_finished" && e.type !== "candidate_screened") return;
      const now = performance.now();
      if (last > 0) times.push(now - last);
      last = now;
      if (!cpu.start) cpu.start = process.cpuUsage();
      else cpu.used = process.cpuUsage(cpu.start);
    },
  });
  const resumeStart = performance.now();
  await engine.run();
  const total = performance.now() - resumeStart;
  globalThis.gc?.();
  const rss = process.memoryUsage().rss / 2 ** 20;
  await store.close();
  rmSync(dir, { recursive: true, force: true });

  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? Number.NaN;
  return [
    {
      name: `${name}: engine overhead per iteration, median (10,000 programs × ${workloads} workloads)`,
      value: q(0.5),
      unit: "ms",
      target: "≤ 2",
      note: `p90 ${q(0.9).toFixed(2)} ms over ${times.length} iterations`,
    },
    {
      name: `${name}: engine CPU time per iteration, mean`,
      value: cpu.used ? (cpu.used.user + cpu.used.system) / 1000 / times.length : Number.NaN,
      unit: "ms",
      target: "≤ 2",
      note: "user + system CPU of the engine's process; steadier than wall time on a loaded machine",
    },
    {
      name: `${name}: engine resume + run, total`,
      value: total / 1000,
      unit: "s",
      note: `ingest of ${STORED} stored programs included`,
    },
    {
      name: `${name}: engine memory (RSS) with 10,000 programs`,
      value: rss,
      unit: "MB",
      target: "≤ 300",
      note: `RSS before the engine started: ${(memoryBefore / 2 ** 20).toFixed(0)} MB`,
    },
  ];
}
