/**
 * Runs inside the sandbox, bundled with the candidate: hands one scenario to
 * the candidate's `repair` and passes back its answer. Scoring is done outside,
 * by task.ts, against the truth, which never comes here.
 */
import type { TelemetryInput } from "./telemetry.ts";

export const ENTRY = "repair";

export function run(candidate: Record<string, unknown>, input: TelemetryInput): unknown {
  const entry = candidate[ENTRY];
  if (typeof entry !== "function") {
    throw new Error(
      `the program must export a function \`${ENTRY}(telemetry, topology)\` returning the repair`,
    );
  }
  return entry(input.telemetry, input.topology);
}
