import { candidateId } from "../core/ids.ts";
import type { Rng } from "../core/rng.ts";
import type { CallSeen, ChatMessage, Usage } from "../core/types.ts";
import { applyEdit } from "../edit/index.ts";
import type { Completion } from "../llm/client.ts";
import { type Ensemble, type EnsembleMember, Ledger, LlmError } from "../llm/index.ts";
import { buildPrompt, buildRepairPrompt, type Templates } from "../prompt/index.ts";
import type { ModelQuestion, Proposal, ProposalContext, Proposer } from "../search/proposer.ts";
import type { ModelAnswer } from "../search/strategy.ts";
import type { ProposalObserver } from "./engine.ts";

export interface LlmProposerOptions {
  /** The run's cost ledger, through which every call goes. Default: one of its own, with no budget. */
  ledger?: Ledger;
  /**
   * Ensembles for model roles other than mutation (a strategy's directive may
   * ask for one, e.g. a stronger model for full rewrites). A role without
   * one is answered by the mutation ensemble, recorded under its role.
   */
  roles?: Readonly<Record<string, Ensemble>>;
}

/**
 * The proposer that asks a model: picks a model from the ensemble, builds the
 * prompt, applies the reply as an edit, and sends a failed application back
 * to the same model once, with the error. Every call goes through the cost
 * ledger (role "mutation", then "repair"). It learns from what the engine
 * stores: each model's spend and failures, and what its children gained.
 */
export class LlmProposer implements Proposer, ProposalObserver {
  readonly ledger: Ledger;
  private readonly roles: Readonly<Record<string, Ensemble>>;

  constructor(
    private readonly ensemble: Ensemble,
    private readonly templates: Templates,
    private readonly editMode: "diff" | "full",
    options: LlmProposerOptions = {},
  ) {
    this.ledger = options.ledger ?? new Ledger();
    this.roles = options.roles ?? {};
  }

  /**
   * Throws an LlmError only when the run cannot go on with this proposal: the
   * budget refused its first request (nothing was spent, so the proposal is
   * dropped and the run stops), or a replay has no recorded reply.
   */
  async propose(context: ProposalContext): Promise<Proposal> {
    const directive = context.directive ?? {};
    const role = directive.role ?? "mutation";
    const editMode = directive.editMode ?? this.editMode;
    const member = this.memberFor(role, context.rng, context.iteration);
    const temperature = directive.temperature ?? member.temperature;
    const purpose = { candidateId: candidateId(context.iteration), iteration: context.iteration };
    const prepared = directive.prepare ? await this.prepare(directive.prepare, context, purpose) : null;
    const messages = buildPrompt({
      spec: context.spec,
      parent: context.parent,
      inspirations: context.inspirations,
      failures: context.failures,
      editMode,
      templates: this.templates,
      ...(directive.secondParent ? { secondParent: directive.secondParent } : {}),
      sections: [...(directive.sections ?? []), ...(prepared ? [prepared.section] : [])],
    });
    const usage: Usage = { ...(prepared?.usage ?? { inputTokens: 0, outputTokens: 0, costUsd: 0 }) };
    const charge = (u: Usage) => {
      usage.inputTokens += u.inputTokens;
      usage.outputTokens += u.outputTokens;
      usage.costUsd += u.costUsd;
    };
    const ask = async (msgs: ChatMessage[], role: string, by = member): Promise<Completion> => {
      try {
        const completion = await this.ledger.complete(
          by.client,
          {
            messages: msgs,
            temperature,
            maxTokens: by.maxTokens,
            signal: context.signal,
          },
          { role, ...purpose },
        );
        charge(completion.usage);
        return completion;
      } catch (e) {
        // A failed call may still have been billed (a cut stream): the ledger keeps it.
        if (e instanceof LlmError) charge(e.usage);
        throw e;
      }
    };
    const base = {
      model: member.client.model,
      prompt: renderMessages(messages),
      usage,
      ...(prepared ? { events: [prepared.event] } : {}),
    };

    let completion: Completion;
    try {
      completion = await ask(messages, role);
    } catch (e) {
      if (
        e instanceof LlmError &&
        (e.kind === "replay_missing" || (e.kind === "budget" && e.attempts === 0))
      ) {
        throw e;
      }
      return { ...base, code: null, diff: "", reply: "", rejection: `model call failed: ${message(e)}` };
    }
    const first = applyEdit(context.parent.code, completion.text, editMode);
    if (first.ok) return { ...base, code: first.code, diff: first.diff, reply: completion.text };

    const repair = buildRepairPrompt(messages, completion.text, first.error, this.templates);
    let second: Completion;
    try {
      second = await ask(repair, "repair", this.repairer(member, context));
    } catch (e) {
      if (e instanceof LlmError && e.kind === "replay_missing") throw e;
      return {
        ...base,
        code: null,
        diff: "",
        reply: completion.text,
        rejection: `${first.error}; the repair request failed: ${message(e)}`,
      };
    }
    const replies = `${completion.text}\n\n--- repair reply ---\n\n${second.text}`;
    const retry = applyEdit(context.parent.code, second.text, editMode);
    if (retry.ok) return { ...base, code: retry.code, diff: retry.diff, reply: replies };
    return {
      ...base,
      code: null,
      diff: "",
      reply: replies,
      rejection: `${first.error}; after repair: ${retry.error}`,
    };
  }

  /**
   * A strategy's preparatory call (meta-recommendations) through the ledger,
   * under its role; null when it failed (the child is proposed without it).
   * A refused budget or a missing recording ends the proposal, as for the child's own call.
   */
  private async prepare(
    prepare: NonNullable<ProposalContext["directive"]>["prepare"] & object,
    context: ProposalContext,
    purpose: { candidateId: string; iteration: number },
  ): Promise<{
    section: { title: string; body: string };
    event: { kind: string; data: unknown };
    usage: Usage;
  } | null> {
    try {
      const by = this.memberFor(prepare.role, context.rng, context.iteration);
      const c = await this.single(by, prepare.role, prepare.prompt, purpose, context.signal);
      const text = c.text.trim();
      if (text === "") return null;
      return {
        section: { title: prepare.title, body: text },
        event: { kind: prepare.kind, data: { text, model: by.client.model } },
        usage: c.usage,
      };
    } catch (e) {
      if (e instanceof LlmError && (e.kind === "replay_missing" || (e.kind === "budget" && e.attempts === 0)))
        throw e;
      return null;
    }
  }

  /** A strategy's question outside a proposal (a screen's novelty judge); a failure is an answer with its error. */
  async ask(question: ModelQuestion): Promise<ModelAnswer> {
    const purpose = { candidateId: question.candidateId, iteration: question.iteration };
    const by = this.memberFor(question.role, question.rng, question.iteration);
    try {
      const completion = await this.single(by, question.role, question.prompt, purpose);
      return { text: completion.text, model: by.client.model };
    } catch (e) {
      if (e instanceof LlmError && e.kind === "replay_missing") throw e;
      return { error: message(e), model: by.client.model };
    }
  }

  /** One user message to `by`, through the ledger under `role`, at the model's own settings. */
  private single(
    by: EnsembleMember,
    role: string,
    prompt: string,
    purpose: { candidateId: string; iteration: number },
    signal?: AbortSignal,
  ): Promise<Completion> {
    return this.ledger.complete(
      by.client,
      {
        messages: [{ role: "user", content: prompt }],
        temperature: by.temperature,
        maxTokens: by.maxTokens,
        signal,
      },
      { role, ...purpose },
    );
  }

  /** A model of `role`'s ensemble (the mutation ensemble when no model serves the role). */
  private memberFor(role: string, rng: Rng, iteration: number): EnsembleMember {
    return (this.roles[role] ?? this.ensemble).pick(rng, iteration);
  }

  /** The model that repairs an edit: the one that made it, unless it does not serve `repair` and another does. */
  private repairer(member: EnsembleMember, context: ProposalContext): EnsembleMember {
    const repair = this.roles.repair;
    if (!repair || repair.members.some((m) => m.client === member.client)) return member;
    return repair.pick(context.rng, context.iteration);
  }

  onModelCall(call: CallSeen, live: boolean): void {
    // Each ensemble learns only about its own members.
    for (const ensemble of this.ensembles()) ensemble.observeCall(call, live);
  }

  onOutcome(outcome: { model: string; gain: number }): void {
    for (const ensemble of this.ensembles()) ensemble.observeOutcome(outcome);
  }

  private ensembles(): Ensemble[] {
    return [this.ensemble, ...Object.values(this.roles).filter((e) => e !== this.ensemble)];
  }
}

function renderMessages(messages: ChatMessage[]): string {
  return messages.map((m) => `### ${m.role}\n\n${m.content}`).join("\n\n");
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
