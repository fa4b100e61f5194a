/** Uniform Progress over the full published set (1,080 runs: train and test together); see _shared/spot-bench.ts. */
import type { BenchResult } from "../../bench/run.ts";
import { spotBench } from "../_shared/spot-bench.ts";
import { run } from "./driver.ts";
import * as uniformProgress from "./references/uniform-progress.ts";
import task from "./task.ts";
import { loadTraces, splitWorkloads } from "./workloads.ts";

export default function bench(): Promise<BenchResult[]> {
  return spotBench({
    label: "cant-be-late",
    title: "Uniform Progress, full published set",
    target: "≤ 5",
    taskDir: import.meta.dirname,
    reference: { file: "uniform-progress.ts", module: uniformProgress },
    check: (w, output) => task.check(w, output),
    run,
    loadTraces,
    workloads: async () => [...(await splitWorkloads("train")), ...(await splitWorkloads("test"))],
  });
}
