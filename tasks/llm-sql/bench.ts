/**
 * How long the state of the art (GGR) and the best-known reference take, and
 * the speed ratio between them (the published claim: same hit rate, 3×
 * faster), measured in one run: through the engine's evaluator (bundle,
 * sandboxed child process, trusted check) and in-process (the programs alone).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchResult } from "../../bench/run.ts";
import { median } from "../../bench/measure.ts";
import { Evaluator } from "../../src/evaluate/index.ts";
import { ProcessSandbox } from "../../src/sandbox/index.ts";
import { loadTask } from "../../src/task/load.ts";
import { Table } from "./api.ts";
import * as bestKnown from "./references/best-known.ts";
import * as sota from "./references/sota.ts";
import type { TableInput } from "./table.ts";
import task from "./task.ts";

const REPEATS = 3;
const IN_PROCESS_REPEATS = 5;

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

export default async function llmSqlBench(): Promise<BenchResult[]> {
  const loaded = await loadTask("llm-sql");
  const sandbox = new ProcessSandbox({ concurrency: 1 });
  const evaluator = new Evaluator(loaded, sandbox, { cacheSize: 0 });
  const code = (file: string) => readFileSync(join(import.meta.dirname, file), "utf8");
  const programs = {
    ggr: code("references/sota.ts"),
    best: code("references/best-known.ts"),
    baseline: code("references/baseline.ts"),
  };
  const rows: BenchResult[] = [];
  try {
    // Warm-up: tables generated, baseline hit rates cached, esbuild started.
    await evaluator.evaluate(programs.baseline, "train");
    const evalMs: Record<keyof typeof programs, number[]> = { ggr: [], best: [], baseline: [] };
    const callMs: Record<keyof typeof programs, number[]> = { ggr: [], best: [], baseline: [] };
    for (let i = 0; i < REPEATS; i++) {
      for (const name of ["ggr", "best", "baseline"] as const) {
        const start = performance.now();
        const e = await evaluator.evaluate(programs[name], "train");
        evalMs[name].push(performance.now() - start);
        if (e.status !== "ok") throw new Error(`llm-sql bench: ${name} did not evaluate: ${e.error}`);
        callMs[name].push(sum(e.workloads.map((w) => w.durationMs ?? 0)));
      }
    }
    const n = (await task.workloads("train")).length;
    const ggrCalls = median(callMs.ggr);
    const bestCalls = median(callMs.best);
    // Every call also parses its table's JSON and builds the Table: the original-order program's time.
    const overhead = median(callMs.baseline);
    rows.push({
      name: `llm-sql GGR (state of the art) evaluation, train (${n} tables)`,
      value: median(evalMs.ggr),
      unit: "ms",
      note: `median of ${REPEATS}, sandboxed; its calls ${ggrCalls.toFixed(0)} ms`,
    });
    rows.push({
      name: `llm-sql best-known evaluation, train (${n} tables)`,
      value: median(evalMs.best),
      unit: "ms",
      note: `median of ${REPEATS}, sandboxed; its calls ${bestCalls.toFixed(0)} ms`,
    });
    rows.push({
      name: "llm-sql GGR / best-known call time, sandboxed",
      value: ggrCalls / bestCalls,
      unit: "×",
      target: "≥ 3",
      note: `${((ggrCalls - overhead) / (bestCalls - overhead)).toFixed(1)}× net of the ${overhead.toFixed(0)} ms every program spends receiving its tables`,
    });

    // In-process: the programs alone, on tables parsed from JSON as the sandbox receives them.
    const tables = (await task.workloads("train")).map(
      (w) => new Table(JSON.parse(JSON.stringify(w.input)) as TableInput),
    );
    const perTable = { ggr: tables.map((): number[] => []), best: tables.map((): number[] => []) };
    for (let i = 0; i < IN_PROCESS_REPEATS; i++) {
      tables.forEach((t, j) => {
        for (const [name, program] of [
          ["ggr", sota],
          ["best", bestKnown],
        ] as const) {
          const start = performance.now();
          program.reorder(t);
          perTable[name][j]?.push(performance.now() - start);
        }
      });
    }
    const ggrMs = sum(perTable.ggr.map(median));
    const bestMs = sum(perTable.best.map(median));
    rows.push({
      name: "llm-sql GGR / best-known, in-process",
      value: ggrMs / bestMs,
      unit: "×",
      target: "≥ 3",
      note: `${ggrMs.toFixed(0)} ms vs ${bestMs.toFixed(0)} ms for the ${n} train tables (sum of per-table medians of ${IN_PROCESS_REPEATS})`,
    });
  } finally {
    await sandbox.close();
  }
  return rows;
}
