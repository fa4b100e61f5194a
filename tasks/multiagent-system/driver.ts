/**
 * Runs inside the sandbox, bundled with the team: hands one program idea to the
 * team's `runTeam(idea)` and passes back its trace with the log of the model
 * calls it made. Nothing is scored here: task.ts checks the trace and asks the
 * judge, outside the sandbox.
 *
 * The realm has no timers, so the idea's deadline is kept at each model call
 * (api.ts refuses calls after it); a team that then gives up or throws is
 * reported as `timeout`. Any other throw is reported as `exception`. task.ts
 * scores both at the published number of failures, and checks a claimed
 * timeout against the time the sandbox measured.
 */
import { MODEL_BRIDGE_GLOBAL } from "../../src/task/api.ts";
import { beginIdea, type CallRecord, endIdea } from "./api.ts";
import type { IdeaInput } from "./workloads.ts";

export const ENTRY = "runTeam";
/** Each idea's time for the team, as in the published evaluator (60 s). */
export const IDEA_DEADLINE_MS = 60_000;
const MAX_ERROR = 2000;

/** What the driver returns for one idea. */
export type DriverOutput =
  | { status: "done"; trace: unknown; calls: CallRecord[]; elapsedMs: number }
  | { status: "timeout" | "exception"; error: string; calls: CallRecord[]; elapsedMs: number };

export async function run(candidate: Record<string, unknown>, input: IdeaInput): Promise<DriverOutput> {
  const entry = candidate[ENTRY];
  if (typeof entry !== "function") {
    throw new Error(
      `the program must export an async function \`${ENTRY}(idea: string)\` returning a TeamTrace`,
    );
  }
  // Without the run's model every team would throw and be scored 14 failures: say what is missing instead.
  if (typeof (globalThis as Record<string, unknown>)[MODEL_BRIDGE_GLOBAL] !== "function") {
    throw new Error("the sandbox gave the team no model (this task needs the run's model of role task)");
  }
  beginIdea(IDEA_DEADLINE_MS);
  let trace: unknown;
  try {
    trace = await entry(input.idea);
  } catch (err) {
    const log = endIdea();
    const error = (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, MAX_ERROR);
    return {
      status: log.timedOut ? "timeout" : "exception",
      error,
      calls: log.calls,
      elapsedMs: log.elapsedMs,
    };
  }
  const log = endIdea();
  if (log.timedOut) {
    return {
      status: "timeout",
      error: "the team ran past its deadline",
      calls: log.calls,
      elapsedMs: log.elapsedMs,
    };
  }
  return { status: "done", trace, calls: log.calls, elapsedMs: log.elapsedMs };
}
