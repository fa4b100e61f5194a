import type { Split, WorkloadResult } from "../../../src/core/types.ts";
import type { SplitScore } from "../../../src/task/contract.ts";
import { run } from "../driver.ts";
import type { Repair, Telemetry } from "../telemetry.ts";
import task from "../task.ts";

/** Runs a program in-process as the sandbox would (its answer crosses as JSON), scored by the trusted side. */
export async function evaluate(
  program: Record<string, unknown>,
  split: Split,
): Promise<SplitScore & { results: WorkloadResult[] }> {
  const workloads = await task.workloads(split);
  const results: WorkloadResult[] = workloads.map((w) => {
    const check = task.check(w, JSON.parse(JSON.stringify(run(program, w.input))));
    return { workload: w.id, valid: check.valid, metrics: check.metrics, error: check.error };
  });
  return { ...task.aggregate(split, results, workloads), results };
}

/** Passes every value on unchanged with one confidence. */
export function passthrough(confidence: number) {
  return {
    repair(telemetry: Telemetry): Repair {
      const out: Repair = {};
      for (const [id, r] of Object.entries(telemetry)) {
        out[id] = {
          interface_status: [r.interface_status, r.interface_status, confidence],
          rx_rate: [r.rx_rate, r.rx_rate, confidence],
          tx_rate: [r.tx_rate, r.tx_rate, confidence],
        };
      }
      return out;
    },
  };
}
