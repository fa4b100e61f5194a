/**
 * Tasks that call models (issue 15), on the evaluator's side: the requests a
 * candidate sends through the sandbox's host-call channel are checked and held
 * to the task's limits here, and a judged task's `check` gets its judge. Who
 * answers is not known here: the evaluator is given a `TaskModelAccess` (the
 * engine's, over the run's models, ledger, budget and cache).
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { estimateTokens, promptChars } from "../core/tokens.ts";
import type { HostChannel } from "../sandbox/sandbox.ts";
import type { Task, Workload } from "../task/contract.ts";
import {
  type JudgeContext,
  MODEL_BRIDGE_GLOBAL,
  type ModelAnswer,
  type ModelExchange,
  type ModelOptions,
  type ModelRequest,
} from "../task/model.ts";
import { errorMessage } from "./validate.ts";

/** The roles a task's requests are asked under: a candidate's (`task`) and the task's judge (`judge`). */
export type TaskModelRole = "task" | "judge";

/** A reply as the evaluator needs it: the text, and the tokens it took (for the per-workload limit). */
export interface TaskModelReply {
  text: string;
  inputTokens: number;
  outputTokens: number;
}

/**
 * Who answers a task's model requests. The same request must get the same reply
 * every time it is asked in a run (the engine caches by request), so that an
 * evaluation is a function of the code. It rejects when no reply can be had (the
 * budget is spent, the model failed after its retries, a replay has no record of
 * it); such an evaluation says nothing about the code and is never cached.
 */
export interface TaskModelAccess {
  /** Names the models behind each role, for the evaluation cache's key (other models, other outcomes). */
  readonly identity: string;
  /** `chargeTo`: who the evaluation is for (a candidate id), for the cost ledger; undefined outside a run. */
  complete(role: TaskModelRole, request: ModelRequest, chargeTo: string | undefined): Promise<TaskModelReply>;
}

const MESSAGE_SHAPE = `{ role: "system" | "user" | "assistant", content: string }`;
const MAX_TOKENS = "options.maxTokens must be a positive integer";
const TEMPERATURE = "options.temperature must be a number from 0 to 2";

/**
 * A candidate's request. Each part says what it must be in its own words, so that
 * the first issue is the whole reason (the candidate's call fails with it).
 */
const REQUEST = z.object(
  {
    messages: z
      .array(
        // Any issue inside a message is reported as the message's (`messages[2] must be …`).
        z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() }),
        { error: "messages must be a non-empty list" },
      )
      .min(1, { error: "messages must be a non-empty list" }),
    options: z
      .strictObject(
        {
          maxTokens: z.int({ error: MAX_TOKENS }).min(1, { error: MAX_TOKENS }).optional(),
          temperature: z
            .number({ error: TEMPERATURE })
            .min(0, { error: TEMPERATURE })
            .max(2, { error: TEMPERATURE })
            .optional(),
        },
        {
          error: (issue) =>
            issue.code === "unrecognized_keys"
              ? `options.${issue.keys[0]} is not an option (maxTokens, temperature)`
              : "options must be an object",
        },
      )
      .default({}),
  },
  { error: "the request must be { messages, options }" },
);

/** A request as it crossed the bridge (JSON text from the candidate), or why it is not one. */
export function parseModelRequest(value: unknown): ModelRequest | string {
  let v = value;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      return "the request is not JSON";
    }
  }
  const parsed = REQUEST.safeParse(v);
  if (parsed.success) {
    const { messages, options } = parsed.data;
    const out: ModelOptions = {};
    if (options.maxTokens !== undefined) out.maxTokens = options.maxTokens;
    if (options.temperature !== undefined) out.temperature = options.temperature;
    return { messages, options: out };
  }
  const issue = parsed.error.issues[0];
  if (issue === undefined) return "the request must be { messages, options }";
  // A message's own issue (its role, its content, or the message itself) names the message.
  if (issue.path[0] === "messages" && typeof issue.path[1] === "number")
    return `messages[${issue.path[1]}] must be ${MESSAGE_SHAPE}`;
  return issue.message;
}

function answer(a: ModelAnswer): string {
  return JSON.stringify(a);
}

/**
 * What the task's models add to the evaluation cache's key: the limits, the judge's
 * prompt and the models behind the roles ("" for a task without models).
 */
export function modelsKey(
  task: Pick<Task, "models" | "judgePrompt">,
  access: TaskModelAccess | undefined,
): string {
  if (!task.models) return "";
  const hash = createHash("sha256")
    .update(JSON.stringify(task.models))
    .update(`\0${task.judgePrompt ?? ""}\0${access?.identity ?? ""}`);
  return `/models-${hash.digest("hex").slice(0, 16)}`;
}

/**
 * One sandbox run's model calls from a candidate, workload by workload: the
 * bridge's handler for the host-call channel, holding each workload's calls and
 * tokens to `models.candidate`. A refused call is answered with its reason (the
 * candidate's `llm` throws it) and fails its workload even if the candidate
 * catches it; a call the models could not answer fails the whole evaluation,
 * uncached (`unavailable`).
 */
export class CandidateCalls {
  /** Why each workload failed its limits (the first reason), by input index. */
  readonly refused: (string | undefined)[];
  /** Why a call got no reply for reasons outside the candidate, once one did not. */
  unavailable: string | undefined;
  /**
   * The calls served to each workload, as the candidate sent them and with the reply it got,
   * in order: recorded here, outside its realm, for `RunInfo.modelCalls`.
   */
  readonly served: ModelExchange[][];
  private readonly used: { calls: number; tokens: number; held: number }[];

  constructor(
    private readonly limits: { maxCalls: number; maxTokens: number },
    private readonly workloads: readonly Workload[],
    private readonly access: TaskModelAccess | undefined,
    private readonly chargeTo: string | undefined,
  ) {
    this.refused = workloads.map(() => undefined);
    this.served = workloads.map(() => []);
    this.used = workloads.map(() => ({ calls: 0, tokens: 0, held: 0 }));
  }

  /** The job's host channel: the bridge's global, room for every workload's calls and one refused each. */
  channel(): HostChannel {
    return {
      global: MODEL_BRIDGE_GLOBAL,
      maxCalls: this.workloads.length * (this.limits.maxCalls + 1),
      call: (request, input) => this.call(request, input),
    };
  }

  private refuse(input: number, reason: string): string {
    if (input >= 0 && input < this.refused.length) this.refused[input] ??= reason;
    return answer({ ok: false, error: reason });
  }

  /** One call from the sandbox: always answers (a ModelAnswer's JSON), never rejects. */
  async call(text: string, input: number): Promise<string> {
    const used = this.used[input];
    if (!used)
      return this.refuse(input, "models may be called only while a workload runs, not as the program loads");
    const request = parseModelRequest(text);
    if (typeof request === "string") return this.refuse(input, `malformed request: ${request}`);
    const { maxCalls, maxTokens } = this.limits;
    if (used.calls >= maxCalls)
      return this.refuse(input, `the limit of ${maxCalls} model calls per workload is spent`);
    // The prompt as the ledger estimates it before sending.
    const prompt = estimateTokens(promptChars(request.messages));
    const left = maxTokens - used.tokens - used.held;
    if (prompt >= left)
      return this.refuse(
        input,
        `the request (about ${prompt} tokens of prompt) does not fit in the ${Math.max(0, left)} tokens left of the ${maxTokens} per workload`,
      );
    if (!this.access) {
      this.unavailable ??= "this evaluation has no models to answer the candidate's calls";
      return answer({ ok: false, error: this.unavailable });
    }
    // The reply's limit keeps the workload within its tokens (as far as the chars/4 estimate of the prompt holds).
    const cap = Math.min(request.options.maxTokens ?? left - prompt, left - prompt);
    used.calls++;
    used.held += prompt + cap;
    let reply: TaskModelReply;
    try {
      reply = await this.access.complete(
        "task",
        {
          messages: request.messages,
          options: { maxTokens: cap, temperature: request.options.temperature ?? 0 },
        },
        this.chargeTo,
      );
    } catch (err) {
      this.unavailable ??= `a model call of workload ${this.workloads[input]?.id} got no reply: ${errorMessage(err)}`;
      return answer({ ok: false, error: errorMessage(err) });
    } finally {
      used.held -= prompt + cap;
    }
    used.tokens += reply.inputTokens + reply.outputTokens;
    this.served[input]?.push({ request, reply: reply.text });
    if (used.tokens > maxTokens)
      this.refuse(
        input,
        `the model calls used ${used.tokens} tokens, over the limit of ${maxTokens} per workload`,
      );
    return answer({ ok: true, text: reply.text });
  }
}

/**
 * The judge a judged task's `check` gets for one workload. `unavailable` is set when
 * the judge could not answer (the evaluation then fails uncached, whatever `check` made of it).
 */
export function judgeFor(
  task: Pick<Task, "judgePrompt">,
  access: TaskModelAccess | undefined,
  chargeTo: string | undefined,
  state: { unavailable?: string },
): JudgeContext {
  return {
    prompt: task.judgePrompt ?? "",
    async ask(messages, options = {}) {
      const request = parseModelRequest({ messages, options });
      if (typeof request === "string") throw new TypeError(`judge.ask: ${request}`);
      if (!access) {
        state.unavailable ??= "this evaluation has no judge model";
        throw new Error(state.unavailable);
      }
      try {
        const reply = await access.complete(
          "judge",
          {
            messages: request.messages,
            options: { ...request.options, temperature: request.options.temperature ?? 0 },
          },
          chargeTo,
        );
        return reply.text;
      } catch (err) {
        state.unavailable ??= `the judge got no reply: ${errorMessage(err)}`;
        throw err;
      }
    },
  };
}
