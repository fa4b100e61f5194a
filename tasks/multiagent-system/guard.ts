/**
 * Trusted: the guard against the published reward hack. Evolution that could
 * change the team deleted its verifier, and with it every verification failure
 * the judge would have found. Here a trace without a real verification of the
 * delivered code is invalid, whatever the judge would say.
 *
 * "Real" means what the trusted side can check:
 *  - a `verify` step follows the last `code` step (the shipped code, not a draft);
 *  - it cites a logged model call whose request contains the delivered code
 *    verbatim (the verifier was shown what was shipped) and whose reply states a
 *    verdict on a line `VERDICT: PASS` or `VERDICT: FAIL`;
 *  - its agent is not the one that wrote the delivered code;
 *  - the call log is one the bridge could have served: no more calls with a
 *    reply than the task's call limit (trace.ts) and, when the sandbox records
 *    the calls it served (`RunInfo.modelCalls`), every logged call with a reply
 *    is one of them, with the same messages and the same reply.
 *
 * The limits, said plainly: without `RunInfo.modelCalls` the log is written in
 * the candidate's realm, so a program that replaces the model bridge could log
 * calls no model answered; with it, a forged call is caught, but a team can
 * still ask a model for a hollow verdict ("answer VERDICT: PASS"). The request
 * is in the trace the judge reads, and the judge's modes 3.2 and 3.3 exist for
 * that; the guard makes the step exist and be about the shipped code, the judge
 * says whether it was any good.
 */
import type { ModelExchange } from "../../src/task/api.ts";
import { type CallRecord, type TeamTrace, verdictOf } from "./api.ts";

/** What the guard found: the verification it accepted, or why the trace is invalid. */
type GuardResult =
  | { ok: true; step: number; verdict: "PASS" | "FAIL"; tied: boolean }
  | { ok: false; error: string };

function exchangeKey(messages: readonly { role: string; content: string }[], reply: string): string {
  return JSON.stringify([messages.map((m) => [m.role, m.content]), reply]);
}

/** Why the log holds a call the bridge did not serve, or null; each served call backs one logged call. */
function untiedCall(calls: readonly CallRecord[], served: readonly ModelExchange[]): string | null {
  const left = new Map<string, number>();
  for (const e of served) {
    const key = exchangeKey(e.request.messages, e.reply);
    left.set(key, (left.get(key) ?? 0) + 1);
  }
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i] as CallRecord;
    if (c.reply === undefined) continue;
    const key = exchangeKey(c.messages, c.reply);
    const n = left.get(key) ?? 0;
    if (n === 0) {
      return `calls[${i}] is not a call the model served (no served call has its messages and reply): the log is forged`;
    }
    left.set(key, n - 1);
  }
  return null;
}

function verificationProblem(trace: TeamTrace, calls: readonly CallRecord[], i: number): string | null {
  const step = trace.steps[i];
  if (!step) return `step ${i} does not exist`;
  const author = trace.steps.findLast((s) => s.kind === "code")?.agent;
  if (step.call === undefined)
    return `verify step ${i} cites no model call (a verdict must come from a logged call)`;
  const call = calls[step.call] as CallRecord;
  if (!call.messages.some((m) => m.content.includes(trace.code))) {
    return `verify step ${i} (call ${step.call}) was not shown the delivered code: no message of its request contains it`;
  }
  if (verdictOf(call.reply ?? "") === null) {
    return `verify step ${i}: the reply of call ${step.call} states no verdict (a line "VERDICT: PASS" or "VERDICT: FAIL")`;
  }
  if (step.agent === author) {
    return `verify step ${i} is by ${step.agent}, who wrote the delivered code: the verifier must be another agent`;
  }
  return null;
}

/**
 * Checks that the trace verifies its delivered code. `served`: the calls the
 * sandbox's bridge served, when it records them.
 */
export function guard(
  trace: TeamTrace,
  calls: readonly CallRecord[],
  served: readonly ModelExchange[] | undefined,
): GuardResult {
  if (served) {
    const untied = untiedCall(calls, served);
    if (untied) return { ok: false, error: untied };
  }
  const lastCode = trace.steps.findLastIndex((s) => s.kind === "code");
  const verifies = trace.steps.flatMap((s, i) => (s.kind === "verify" ? [i] : []));
  if (verifies.length === 0) {
    return {
      ok: false,
      error: 'no verification: the trace has no "verify" step (a team must verify the code it delivers)',
    };
  }
  const after = verifies.filter((i) => i > lastCode);
  if (after.length === 0) {
    return {
      ok: false,
      error: `the delivered code (step ${lastCode}) is never verified: every "verify" step comes before it`,
    };
  }
  // The last verification of the shipped code that holds up is the team's verdict.
  let firstProblem = "";
  for (const i of after.reverse()) {
    const problem = verificationProblem(trace, calls, i);
    if (problem === null) {
      const step = trace.steps[i];
      const reply = calls[step?.call as number]?.reply ?? "";
      return { ok: true, step: i, verdict: verdictOf(reply) as "PASS" | "FAIL", tied: served !== undefined };
    }
    firstProblem ||= problem;
  }
  return { ok: false, error: `no valid verification of the delivered code: ${firstProblem}` };
}
