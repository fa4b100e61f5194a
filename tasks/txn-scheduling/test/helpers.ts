import type { Split, WorkloadResult } from "../../../src/core/types.ts";
import type { SplitScore } from "../../../src/task/contract.ts";
import { run } from "../driver.ts";
import task from "../task.ts";

/** Runs a program in-process the way the sandbox would, then scores it with the trusted side. */
export async function evaluate(
  program: Record<string, unknown>,
  split: Split,
): Promise<SplitScore & { results: WorkloadResult[] }> {
  const workloads = await task.workloads(split);
  const results: WorkloadResult[] = workloads.map((w) => {
    const check = task.check(w, run(program, w.input));
    return { workload: w.id, valid: check.valid, metrics: check.metrics, error: check.error };
  });
  return { ...task.aggregate(split, results, workloads), results };
}
