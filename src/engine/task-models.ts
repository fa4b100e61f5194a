/**
 * The engine's answer to a task that calls models (issue 15): the requests of
 * its candidates (role `task`) and of its judge (role `judge`) are served by the
 * run's models of those roles, through the run's one ledger and dollar budget,
 * each call charged to the candidate being evaluated, and cached by request.
 *
 * Why each request is answered the same way every time (an evaluation is then a
 * function of the code, and re-evaluating it is free):
 * - the model is a function of the request: a weighted draw seeded by the
 *   request's hash, never the bandit (whose state moves as the run goes);
 * - the reply is cached by hash(role, model, messages, temperature, token
 *   limit); identical requests in flight at once share one call;
 * - the cache is rebuilt on resume from the run's stored ledger (every call's
 *   exact messages and reply are there), so a resumed run reuses it; a replay
 *   (`--replay`) answers the first request of each kind from the recording,
 *   exactly as the recorded run asked it, and the rest from its own cache.
 */
import { createHash } from "node:crypto";
import type { ModelCall } from "../core/types.ts";
import type { TaskModelAccess, TaskModelReply, TaskModelRole } from "../evaluate/models.ts";
import type { Ensemble, EnsembleMember } from "../llm/ensemble.ts";
import { LlmError } from "../llm/errors.ts";
import type { Ledger } from "../llm/ledger.ts";
import type { Task } from "../task/contract.ts";
import type { ModelRequest } from "../task/model.ts";
import { ConfigError, type RunConfig } from "./config.ts";

/** The ensembles that answer each role (the mutation one for a role no model lists). */
export type RoleEnsembles = Readonly<Record<TaskModelRole, Ensemble>>;

/** The cache's key of one request as sent (what the ledger stores of it). */
export function taskRequestKey(
  role: string,
  model: string,
  call: Pick<ModelCall, "messages" | "temperature" | "maxTokens">,
): string {
  const messages = call.messages.map((m) => [m.role, m.content]);
  const text = JSON.stringify([role, model, messages, call.temperature ?? null, call.maxTokens ?? null]);
  return createHash("sha256").update(text).digest("hex");
}

/** The member of `ensemble` that answers a request: drawn by weight, from the request's own hash. */
function memberFor(ensemble: Ensemble, role: string, request: ModelRequest): EnsembleMember {
  const members = ensemble.members;
  if (members.length === 1) return members[0] as EnsembleMember;
  const hash = createHash("sha256")
    .update(JSON.stringify([role, request.messages, request.options]))
    .digest();
  const u = hash.readUIntBE(0, 6) / 2 ** 48;
  const total = members.reduce((sum, m) => sum + m.weight, 0);
  let r = u * total;
  for (const m of members) {
    r -= m.weight;
    if (r < 0) return m;
  }
  return members[members.length - 1] as EnsembleMember;
}

/** The candidate id's iteration (`c000012` → 12), for the ledger's rests. */
function iterationOf(candidateId: string | undefined): number | null {
  const m = candidateId === undefined ? null : /^c(\d+)$/.exec(candidateId);
  return m ? Number(m[1]) : null;
}

/**
 * Serves a task's model requests for the run's evaluations (TaskModelAccess).
 * Failures reach the evaluation as rejections (an uncached error evaluation);
 * a replay that has no recorded reply also stops the run, through `onFatal`.
 */
export class TaskModels implements TaskModelAccess {
  readonly identity: string;
  private readonly cache = new Map<string, Promise<TaskModelReply>>();
  /** Told once when the run cannot go on (a replay left its recording). */
  onFatal: ((message: string) => void) | undefined;

  constructor(
    private readonly ensembles: RoleEnsembles,
    private readonly ledger: Ledger,
  ) {
    const names = (e: Ensemble) => e.members.map((m) => `${m.client.model}*${m.weight}`).join(",");
    this.identity = `task=${names(ensembles.task)};judge=${names(ensembles.judge)}`;
  }

  /** Fills the cache from a run's stored ledger (in stored order): every call of role task or judge that got a reply. */
  restore(calls: readonly ModelCall[]): void {
    const billed = new Map<string, { input: number; output: number }>();
    for (const c of calls) {
      if (c.role !== "task" && c.role !== "judge") continue;
      // Every attempt of a call counts toward its tokens, as the live reply's usage did.
      const sum = billed.get(c.call ?? "") ?? { input: 0, output: 0 };
      sum.input += c.usage.inputTokens;
      sum.output += c.usage.outputTokens;
      billed.set(c.call ?? "", sum);
      if (c.retried || c.reply === null) continue;
      const reply = { text: c.reply, inputTokens: sum.input, outputTokens: sum.output };
      this.cache.set(taskRequestKey(c.role, c.model, c), Promise.resolve(reply));
      billed.delete(c.call ?? "");
    }
  }

  complete(
    role: TaskModelRole,
    request: ModelRequest,
    chargeTo: string | undefined,
  ): Promise<TaskModelReply> {
    const member = memberFor(this.ensembles[role], role, request);
    const client = member.client;
    const temperature = request.options.temperature ?? 0;
    const maxTokens = this.ledger.sentMaxTokens(client, request.options.maxTokens ?? member.maxTokens);
    const key = taskRequestKey(role, client.model, { messages: request.messages, temperature, maxTokens });
    const cached = this.cache.get(key);
    if (cached) return cached;
    const call = this.ledger
      .complete(
        client,
        { messages: request.messages, temperature, ...(maxTokens === undefined ? {} : { maxTokens }) },
        { role, candidateId: chargeTo ?? null, iteration: iterationOf(chargeTo) },
      )
      .then(
        (c): TaskModelReply => ({
          text: c.text,
          inputTokens: c.usage.inputTokens,
          outputTokens: c.usage.outputTokens,
        }),
        (e: unknown) => {
          // A failure is not cached: the next identical request asks again.
          this.cache.delete(key);
          if (e instanceof LlmError && e.kind === "replay_missing") this.onFatal?.(e.message);
          throw e;
        },
      );
    this.cache.set(key, call);
    return call;
  }
}

/**
 * What a run of a task that declares models cannot do, refused before anything
 * is written: evaluate on workers (they have none of the run's models, ledger or
 * budget), audit each new best (the audit runs programs without models), or run
 * with no model at all (the tuner has none to answer the candidates or the judge).
 */
export function refuseTaskModels(config: RunConfig, task: Task): void {
  if (!task.models) return;
  const problems: string[] = [];
  if (config.queue === "workers")
    problems.push(
      `queue: workers cannot evaluate task ${task.id}: it declares models (its candidates or its judge call them), and workers have none of the run's models, ledger or budget; use queue: in-process`,
    );
  if (config.audit.onNewBest)
    problems.push(
      `audit.onNewBest: task ${task.id} declares models, and the audit runs programs without them; turn it off for this task`,
    );
  if (config.models.length === 0)
    problems.push(
      `models: task ${task.id} declares models (role ${task.models.candidate ? "task" : "judge"}): configure at least one model (models:, or --model)`,
    );
  if (problems.length > 0) throw new ConfigError(problems.join("\n"));
}
