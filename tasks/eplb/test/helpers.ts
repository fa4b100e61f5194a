import type { Split, WorkloadResult } from "../../../src/core/types.ts";
import type { SplitScore, Workload } from "../../../src/task/contract.ts";
import { run } from "../driver.ts";
import task from "../task.ts";
import { typedArrays } from "../../_shared/test/in-process.ts";

export { typedArrays };
import type { EplbInput } from "../workloads.ts";

/**
 * Runs a program in-process the way the sandbox would (each call timed, the
 * output crossing as JSON), then scores it with the trusted side. `timed:
 * false` leaves the calls untimed, as a test that checks balance only wants.
 */
export async function evaluate(
  program: Record<string, unknown>,
  split: Split,
  options: { workloads?: Workload<EplbInput>[]; timed?: boolean } = {},
): Promise<SplitScore & { results: WorkloadResult[] }> {
  const workloads = options.workloads ?? (await task.workloads(split));
  const results: WorkloadResult[] = workloads.map((w) => {
    const start = performance.now();
    let output: unknown;
    try {
      output = run(program, w.input);
    } catch (e) {
      return { workload: w.id, valid: false, metrics: {}, error: (e as Error).message };
    }
    const durationMs = performance.now() - start;
    const check = task.check(w, JSON.parse(JSON.stringify(output, typedArrays)));
    const result: WorkloadResult = { workload: w.id, valid: check.valid, metrics: check.metrics };
    if (check.error !== undefined) result.error = check.error;
    if (options.timed !== false) result.durationMs = durationMs;
    return result;
  });
  return { ...task.aggregate(split, results, workloads), results };
}
