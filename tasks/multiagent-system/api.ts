/**
 * What a team (the candidate program) imports as `./api.ts`. It runs inside the
 * sandbox with the candidate, so nothing here is trusted: task.ts validates the
 * trace the driver returns and asks its own judge.
 *
 * `llm` here is the model of src/task/model.ts with a recorder around it: every
 * call (its messages and its reply or error) goes into the log of the idea being
 * worked on, which the driver hands back beside the team's trace. A step of the
 * trace names the call it came from by its index (`ask` returns it), so the
 * trusted side can see which messages really were a model's replies, and to
 * what request.
 */
import { type ChatMessage, type ModelOptions, llm as modelLlm } from "../../src/task/api.ts";

export type { ChatMessage, ModelOptions };

/** What a step of the team did. `verify` is a verdict on the delivered code (see spec.md). */
export type StepKind = "plan" | "code" | "test" | "review" | "verify" | "message";
export const STEP_KINDS: readonly StepKind[] = ["plan", "code", "test", "review", "verify", "message"];

/** One member of the team. */
export interface Agent {
  /** Unique in the team: "Coder", "Tester". */
  name: string;
  /** What it is for, in a few words: "writes the program". */
  role: string;
  /** Its system prompt (empty for an agent that calls no model). */
  prompt: string;
}

/** One thing an agent did or said, in order. */
export interface Step {
  /** An agent's name from `agents`. */
  agent: string;
  kind: StepKind;
  /** What the step produced: for `code`, the whole program as it stands after the step. */
  content: string;
  /** The index of the model call this step came from (`ask(...).call`), if it came from one. */
  call?: number;
  /** The agents this step was sent to; absent: everyone. */
  to?: string[];
}

/** What a team returns for one idea: who was in it, what each did, and the code it delivers. */
export interface TeamTrace {
  agents: Agent[];
  steps: Step[];
  /** The delivered program: the content of the last `code` step. */
  code: string;
}

/**
 * A model call as recorded here: the request's messages, and the reply or the
 * error. Its options are not kept: the bridge checks them (a call with a wrong
 * one fails with the bridge's reason) and nothing trusted reads them.
 */
export interface CallRecord {
  messages: ChatMessage[];
  reply?: string;
  error?: string;
}

/** One idea's work in progress: its call log and deadline. */
interface Session {
  calls: CallRecord[];
  startedAt: number;
  deadlineMs: number;
  timedOut: boolean;
}

let session: Session | undefined;
// Read at each use: the realm's clock is the team's to tamper with anyway, and task.ts
// believes a timeout only when the sandbox's own measure of the run agrees.
const now = () => Date.now();

/** The error a call gets once the idea's time is up. */
export class DeadlineError extends Error {
  override name = "DeadlineError";
}

/** For the driver: starts the log of one idea. */
export function beginIdea(deadlineMs: number): void {
  session = { calls: [], startedAt: now(), deadlineMs, timedOut: false };
}

/** For the driver: ends the idea's log and returns it. */
export function endIdea(): { calls: CallRecord[]; timedOut: boolean; elapsedMs: number } {
  const s = session;
  session = undefined;
  if (!s) return { calls: [], timedOut: false, elapsedMs: 0 };
  return { calls: s.calls, timedOut: s.timedOut, elapsedMs: now() - s.startedAt };
}

/**
 * Asks the run's model and records the call. Returns the reply and the call's
 * index, which a step cites as `call`. Throws when the idea's time is up (no
 * call starts after the deadline), or with the model's error.
 */
export async function ask(
  messages: ChatMessage[],
  options: ModelOptions = {},
): Promise<{ text: string; call: number }> {
  const s = session;
  if (s && now() - s.startedAt > s.deadlineMs) {
    s.timedOut = true;
    throw new DeadlineError(`the idea's ${s.deadlineMs / 1000} s are up: no more model calls`);
  }
  // A copy, so a team that edits its message list afterwards does not rewrite the record.
  const record: CallRecord = { messages: messages.map((m) => ({ role: m.role, content: m.content })) };
  const call = s ? s.calls.push(record) - 1 : -1;
  try {
    const text = await modelLlm(messages, options);
    record.reply = text;
    return { text, call };
  } catch (err) {
    record.error = err instanceof Error ? err.message : String(err);
    throw err;
  }
}

/** Asks the run's model (recorded like `ask`) and returns only the reply. */
export async function llm(messages: ChatMessage[], options: ModelOptions = {}): Promise<string> {
  return (await ask(messages, options)).text;
}

/** The code of the first fenced block of a reply (```js … ```), or the whole reply when it has none. */
export function codeBlock(reply: string): string {
  const m = /```[A-Za-z0-9_+-]*\n([\s\S]*?)```/.exec(reply);
  return (m ? (m[1] as string) : reply).trim();
}

/** The verdict a verification reply states on a line `VERDICT: PASS` or `VERDICT: FAIL`, or null. */
export function verdictOf(reply: string): "PASS" | "FAIL" | null {
  const m = /^[ \t>*_#-]*VERDICT[ \t*_]*:[ \t*_]*(PASS|FAIL)\b/im.exec(reply);
  return m ? ((m[1] as string).toUpperCase() as "PASS" | "FAIL") : null;
}
