import type { Usage } from "../core/types.ts";
import { applyEdit } from "../edit/index.ts";
import type { ChatMessage, Completion } from "../llm/client.ts";
import { type Ensemble, LlmError } from "../llm/index.ts";
import { buildPrompt, buildRepairPrompt, type Templates } from "../prompt/index.ts";
import type { Proposal, ProposalContext, Proposer } from "../search/proposer.ts";

/**
 * The proposer that asks a model: builds the prompt, picks a model from the
 * ensemble, applies the reply as an edit, and sends a failed application back
 * to the same model once, with the error.
 */
export class LlmProposer implements Proposer {
  constructor(
    private readonly ensemble: Ensemble,
    private readonly templates: Templates,
    private readonly editMode: "diff" | "full",
  ) {}

  async propose(context: ProposalContext): Promise<Proposal> {
    const member = this.ensemble.pick(context.rng);
    const messages = buildPrompt({
      spec: context.spec,
      parent: context.parent,
      inspirations: context.inspirations,
      failures: context.failures,
      editMode: this.editMode,
      templates: this.templates,
    });
    const usage: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
    const charge = (u: Usage) => {
      usage.inputTokens += u.inputTokens;
      usage.outputTokens += u.outputTokens;
      usage.costUsd += u.costUsd;
    };
    const ask = async (msgs: ChatMessage[]): Promise<Completion> => {
      try {
        const completion = await member.client.complete({
          messages: msgs,
          temperature: member.temperature,
          maxTokens: member.maxTokens,
          signal: context.signal,
        });
        charge(completion.usage);
        return completion;
      } catch (e) {
        // A failed call may still have been billed (a cut stream): the ledger keeps it.
        if (e instanceof LlmError) charge(e.usage);
        throw e;
      }
    };
    const base = { model: member.client.model, prompt: renderMessages(messages), usage };

    let completion: Completion;
    try {
      completion = await ask(messages);
    } catch (e) {
      return { ...base, code: null, diff: "", reply: "", rejection: `model call failed: ${message(e)}` };
    }
    const first = applyEdit(context.parent.code, completion.text, this.editMode);
    if (first.ok) return { ...base, code: first.code, diff: first.diff, reply: completion.text };

    const repair = buildRepairPrompt(messages, completion.text, first.error, this.templates);
    let second: Completion;
    try {
      second = await ask(repair);
    } catch (e) {
      return {
        ...base,
        code: null,
        diff: "",
        reply: completion.text,
        rejection: `${first.error}; the repair request failed: ${message(e)}`,
      };
    }
    const replies = `${completion.text}\n\n--- repair reply ---\n\n${second.text}`;
    const retry = applyEdit(context.parent.code, second.text, this.editMode);
    if (retry.ok) return { ...base, code: retry.code, diff: retry.diff, reply: replies };
    return {
      ...base,
      code: null,
      diff: "",
      reply: replies,
      rejection: `${first.error}; after repair: ${retry.error}`,
    };
  }
}

function renderMessages(messages: ChatMessage[]): string {
  return messages.map((m) => `### ${m.role}\n\n${m.content}`).join("\n\n");
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
