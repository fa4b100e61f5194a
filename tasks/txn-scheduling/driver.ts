/**
 * Runs inside the sandbox, bundled with the candidate: hands one workload to
 * the candidate's `schedule` and passes back what it returned. Scoring is
 * done outside, by task.ts, on this output alone.
 */
import { Workload } from "./api.ts";
import type { TxnInput } from "./simulator.ts";

export const ENTRY = "schedule";

export function run(candidate: Record<string, unknown>, input: TxnInput): unknown {
  const entry = candidate[ENTRY];
  if (typeof entry !== "function") {
    throw new Error(`the program must export a function \`${ENTRY}(workload)\` returning number[]`);
  }
  const schedule: unknown = entry(new Workload(input.txns));
  // A typed array would serialise as an object; the intent is plainly a list.
  return {
    schedule: ArrayBuffer.isView(schedule) ? Array.from(schedule as unknown as ArrayLike<number>) : schedule,
  };
}
