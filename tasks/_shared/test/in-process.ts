import type { Split, WorkloadResult } from "../../../src/core/types.ts";
import type { SplitScore, TaskDefinition, Workload } from "../../../src/task/contract.ts";

/**
 * Runs a program in-process the way the sandbox would, then scores it with the
 * task's trusted side: each run gets its own copy of the input, the output
 * crosses as JSON (typed arrays as plain arrays), and a program that throws
 * makes its workload invalid with the message. `workloads` default to the
 * split's.
 */
export async function evaluateInProcess<I>(
  task: TaskDefinition<I>,
  run: (program: Record<string, unknown>, input: I) => unknown,
  program: Record<string, unknown>,
  split: Split,
  workloads?: Workload<I>[],
): Promise<SplitScore & { results: WorkloadResult[] }> {
  const list = workloads ?? (await task.workloads(split));
  const results: WorkloadResult[] = list.map((w) => {
    let output: unknown;
    try {
      output = JSON.parse(JSON.stringify(run(program, structuredClone(w.input)), typedArrays));
    } catch (e) {
      return { workload: w.id, valid: false, metrics: {}, error: (e as Error).message };
    }
    const check = task.check(w, output);
    return { workload: w.id, valid: check.valid, metrics: check.metrics, error: check.error };
  });
  return { ...task.aggregate(split, results, list), results };
}

/** Typed arrays leave the sandbox as plain arrays. */
export function typedArrays(_key: string, value: unknown): unknown {
  return ArrayBuffer.isView(value) && !(value instanceof DataView)
    ? Array.from(value as unknown as ArrayLike<number>)
    : value;
}
