import { join } from "node:path";
import type { Split, WorkloadResult } from "../../../src/core/types.ts";
import type { SplitScore, Workload } from "../../../src/task/contract.ts";
import { run } from "../driver.ts";
import task from "../task.ts";
import type { PrismInput } from "../workloads.ts";
import { bundleAndRun as runBundled } from "../../../test/support/bundle-run.ts";

/** Runs a program in-process the way the sandbox would (outputs cross as JSON), then scores it. */
export async function evaluate(
  program: Record<string, unknown>,
  split: Split,
  workloads?: Workload<PrismInput>[],
): Promise<SplitScore & { results: WorkloadResult[] }> {
  const list = workloads ?? (await task.workloads(split));
  const results: WorkloadResult[] = list.map((w) => {
    let output: unknown;
    try {
      output = JSON.parse(JSON.stringify(run(program, w.input)));
    } catch (e) {
      return { workload: w.id, valid: false, metrics: {}, error: (e as Error).message };
    }
    const check = task.check(w, output);
    return { workload: w.id, valid: check.valid, metrics: check.metrics, error: check.error };
  });
  return { ...task.aggregate(split, results, list), results };
}

export const bundleAndRun = (code: string, input: unknown): Promise<unknown> =>
  runBundled(join(import.meta.dirname, ".."), code, input);
