/**
 * Models for tasks (issue 15): what a task's candidate may ask a model, and what
 * a task's trusted scoring may ask its judge. This file is imported by sandbox
 * code (a task's api.ts re-exports `llm`), so it stays free of I/O and Node APIs.
 *
 * In the sandbox the engine's answer arrives through one function the runner
 * installs on the isolate's global object under `MODEL_BRIDGE_GLOBAL` (only for
 * a task that declares `models.candidate`); it takes the request as a JSON text
 * and resolves to the reply as a JSON text. The candidate gains no other way out.
 */

import type { ChatMessage } from "../core/types.ts";

/** One message of a chat request: the same shape every model call has. */
export type { ChatMessage };

/** What a caller may set on one request; the model itself is the run's (role `task` or `judge`). */
export interface ModelOptions {
  /** Upper bound on the reply's tokens; the task's limits cap it. */
  maxTokens?: number;
  /** Defaults to 0, so that the same request is worth caching. */
  temperature?: number;
}

/** One request as it crosses the bridge (and keys the cache, with the model's name). */
export interface ModelRequest {
  messages: ChatMessage[];
  options: ModelOptions;
}

/** One call the bridge served: the request as it arrived and the reply it sent back. */
export interface ModelExchange {
  request: ModelRequest;
  reply: string;
}

/** The answer to one request as it crosses back: the reply, or why there is none. */
export type ModelAnswer = { ok: true; text: string } | { ok: false; error: string };

/** The global the sandbox runner sets: `(requestJson: string) => Promise<string>` (a ModelAnswer's JSON). */
export const MODEL_BRIDGE_GLOBAL = "__adrsModel";

/** What a task declares when its candidates or its scoring call models. */
export interface TaskModels {
  /** Candidates may call `llm` (role `task`), within these limits per evaluation of one workload. */
  candidate?: { maxCalls: number; maxTokens: number };
  /**
   * Trusted scoring asks a judge (role `judge`) through `JudgeContext`. `prompt` is a
   * file of the task folder (its text is part of the task's version and of every
   * cache key of a verdict).
   */
  judge?: { prompt: string };
}

/** Given to a task's `check` when it declares `models.judge`. */
export interface JudgeContext {
  /** The judge prompt's text, read from the task folder. */
  prompt: string;
  /**
   * Asks the run's judge model. Verdicts are cached by the request, so the same
   * trace judged twice costs once and a replayed run is exact. Throws when the
   * budget is spent or the model fails after its retries.
   */
  ask(messages: ChatMessage[], options?: ModelOptions): Promise<string>;
}

/**
 * For candidate code: asks the run's model of role `task`. Throws with the reason
 * when the task does not allow calls, a limit of this evaluation is reached, the
 * budget is spent or the model fails.
 */
export async function llm(messages: ChatMessage[], options: ModelOptions = {}): Promise<string> {
  const bridge = (globalThis as Record<string, unknown>)[MODEL_BRIDGE_GLOBAL];
  if (typeof bridge !== "function") {
    throw new Error("llm(): this task does not let its candidates call models (no models.candidate)");
  }
  const request: ModelRequest = { messages, options };
  const answer = JSON.parse(
    await (bridge as (r: string) => Promise<string>)(JSON.stringify(request)),
  ) as ModelAnswer;
  if (!answer.ok) throw new Error(`llm(): ${answer.error}`);
  return answer.text;
}
