/**
 * Cache eviction, evaluated by a Python simulator: the example of an external
 * evaluator (docs/sandbox.md). The candidate is a Python module (initial.py);
 * evaluate.py, the task's trusted code, runs it on each trace in a child
 * process and prints the hit rates as JSON. The score is the mean of the
 * per-workload scores, 0 at LRU's hit rate and 100 at the offline optimum's.
 */
import { defineTask, type SplitScore } from "../../src/task/api.ts";
import { type CacheInput, cacheWorkloads } from "./workloads.ts";

export default defineTask<CacheInput>({
  id: "cache-eviction",
  title: "Cache eviction policy in Python, scored by a Python simulator (external evaluator example)",
  version: "1",
  dir: import.meta.dirname,
  files: { initial: "initial.py" },
  external: { command: "python3 evaluate.py {candidate} {workloads}", language: "python" },
  metric: { name: "hitRate", direction: "maximize" },
  // Mean hit rates of LRU and of Belady's offline optimum on the train split.
  anchors: { baseline: 0.3129, target: 0.6606 },
  limits: { timeoutMs: 30_000, memoryMb: 512 },
  // A smoke run on one trace first: a program that fails there never costs the other traces.
  stages: [{ name: "smoke", workloads: ["zipf_1"], threshold: 0 }],
  workloads: cacheWorkloads,
  aggregate(_split, results): SplitScore {
    if (results.length === 0 || results.some((r) => !r.valid)) return { score: 0, metrics: {} };
    const mean = (f: (m: Record<string, number>) => number) =>
      results.reduce((acc, r) => acc + f(r.metrics), 0) / results.length;
    return {
      score: results.reduce((acc, r) => acc + (r.score ?? 0), 0) / results.length,
      metrics: { hitRate: mean((m) => m.hitRate ?? 0), lruHitRate: mean((m) => m.lruHitRate ?? 0) },
    };
  },
});
