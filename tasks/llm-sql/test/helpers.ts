import type { Split, WorkloadResult } from "../../../src/core/types.ts";
import type { SplitScore, Workload } from "../../../src/task/contract.ts";
import { headOf } from "../datasets.ts";
import { run } from "../driver.ts";
import type { TableInput } from "../table.ts";
import task from "../task.ts";

/** The split's tables, or their first `rows` rows each (re-encoded), as workloads. */
export async function tables(split: Split, rows?: number): Promise<Workload<TableInput>[]> {
  const all = await task.workloads(split);
  if (rows === undefined) return all;
  return all.map((w) => ({ id: w.id, split: w.split, input: headOf(w.input, rows) }));
}

/**
 * Runs a program in-process the way the sandbox would (its answer crosses as
 * JSON), then scores it with the trusted side. No runtime is measured, so the
 * runtime term is full.
 */
export function evaluateOn(
  program: Record<string, unknown>,
  workloads: Workload<TableInput>[],
  split: Split = "train",
): SplitScore & { results: WorkloadResult[]; answers: unknown[] } {
  const answers: unknown[] = [];
  const results: WorkloadResult[] = workloads.map((w) => {
    const answer = JSON.parse(JSON.stringify(run(program, w.input)));
    answers.push(answer);
    const check = task.check(w, answer);
    return { workload: w.id, valid: check.valid, metrics: check.metrics, error: check.error };
  });
  return { ...task.aggregate(split, results, workloads), results, answers };
}
