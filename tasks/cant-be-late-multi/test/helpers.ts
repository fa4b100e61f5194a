import type { Split, WorkloadResult } from "../../../src/core/types.ts";
import type { SplitScore, Workload } from "../../../src/task/contract.ts";
import { run } from "../driver.ts";
import type { ScenarioInput } from "../simulator.ts";
import task from "../task.ts";

/** Runs a program in-process the way the sandbox would, then scores it with the trusted side. */
export async function evaluate(
  program: Record<string, unknown>,
  split: Split | Workload<ScenarioInput>[],
): Promise<SplitScore & { results: WorkloadResult[] }> {
  const workloads = typeof split === "string" ? await task.workloads(split) : split;
  const results: WorkloadResult[] = workloads.map((w) => {
    // Outputs leave the sandbox as JSON.
    const output = JSON.parse(JSON.stringify(run(program, w.input)));
    const check = task.check(w, output);
    return { workload: w.id, valid: check.valid, metrics: check.metrics, error: check.error };
  });
  return { ...task.aggregate("train", results, workloads), results };
}
