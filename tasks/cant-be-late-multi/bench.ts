/** The best-known policy over both splits (34 + 84 runs); see _shared/spot-bench.ts. */
import type { BenchResult } from "../../bench/run.ts";
import { spotBench } from "../_shared/spot-bench.ts";
import { run } from "./driver.ts";
import * as bestKnown from "./references/best-known.ts";
import task from "./task.ts";
import { loadTraces, splitWorkloads } from "./workloads.ts";

export default function bench(): Promise<BenchResult[]> {
  return spotBench({
    label: "cant-be-late-multi",
    title: "best known, train + test",
    taskDir: import.meta.dirname,
    reference: { file: "best-known.ts", module: bestKnown },
    check: (w, output) => task.check(w, output),
    run,
    loadTraces,
    workloads: async () => [...(await splitWorkloads("train")), ...(await splitWorkloads("test"))],
  });
}
