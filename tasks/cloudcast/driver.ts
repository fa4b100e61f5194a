/**
 * Runs inside the sandbox, bundled with the candidate: hands one broadcast
 * problem to the candidate's `broadcast` and passes back the topology it
 * returned. Validation and scoring are done outside, by task.ts, on this
 * output alone.
 */
import { Problem } from "./api.ts";
import type { CloudcastInput } from "./network.ts";

export const ENTRY = "broadcast";

export function run(candidate: Record<string, unknown>, input: CloudcastInput): unknown {
  const entry = candidate[ENTRY];
  if (typeof entry !== "function") {
    throw new Error(`the program must export a function \`${ENTRY}(problem)\` returning the topology`);
  }
  const topology: unknown = entry(new Problem(input));
  // A Map would serialise as an empty object; the intent is plainly destination → paths.
  return { paths: topology instanceof Map ? Object.fromEntries(topology) : topology };
}
