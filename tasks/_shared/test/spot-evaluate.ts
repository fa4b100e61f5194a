import type { Split, WorkloadResult } from "../../../src/core/types.ts";
import type { SplitScore, TaskDefinition, Workload } from "../../../src/task/contract.ts";

/**
 * Runs a program in-process the way the sandbox would (outputs leave it as JSON), then scores it
 * with the task's trusted side: for the Can't-Be-Late tasks' tests.
 */
export async function evaluateInProcess<I>(
  task: TaskDefinition<I>,
  run: (program: Record<string, unknown>, input: I) => unknown,
  program: Record<string, unknown>,
  split: Split | Workload<I>[],
): Promise<SplitScore & { results: WorkloadResult[] }> {
  const workloads = typeof split === "string" ? await task.workloads(split) : split;
  const results: WorkloadResult[] = workloads.map((w) => {
    const output = JSON.parse(JSON.stringify(run(program, w.input)));
    const check = task.check(w, output);
    return { workload: w.id, valid: check.valid, metrics: check.metrics, error: check.error };
  });
  return { ...task.aggregate("train", results, workloads), results };
}
