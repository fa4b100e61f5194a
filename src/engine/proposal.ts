import type { RunEvent } from "../core/events.ts";
import type { Rng, RngState } from "../core/rng.ts";
import type { ModelCall, Program } from "../core/types.ts";
import { unifiedDiff } from "../edit/diff.ts";
import type { NegativeMemory } from "../search/memory.ts";
import type { Proposal, Proposer } from "../search/proposer.ts";
import type { Directive, Selection } from "../search/strategy.ts";

/** How many failed children of a parent the next prompt shows. */
const FAILURES_IN_PROMPT = 3;

/**
 * The child of a selection: the one the strategy made itself, or the
 * proposer's, shown the failures on the parent's lineage (`lineage`) or of the
 * parent alone.
 */
export function requestChild(
  proposer: Proposer,
  selection: Selection,
  ask: { iteration: number; spec: string; rng: Rng; memory: NegativeMemory; lineage: boolean },
): Promise<Proposal> {
  const { directive, parent } = selection;
  if (directive?.child) return Promise.resolve(readyChild(parent, directive.child));
  return proposer.propose({
    iteration: ask.iteration,
    parent,
    inspirations: selection.inspirations,
    failures: ask.memory.recall(parent.id, FAILURES_IN_PROMPT, ask.lineage),
    spec: ask.spec,
    rng: ask.rng,
    ...(directive ? { directive } : {}),
  });
}

/** A child the strategy made itself (a merge): proposed as is, with no model call. */
function readyChild(parent: Program, child: NonNullable<Directive["child"]>): Proposal {
  return {
    code: child.code,
    diff: unifiedDiff(parent.code, child.code),
    model: "none",
    prompt: "",
    reply: child.note,
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  };
}

/** A proposer that threw: its proposal is stored as rejected, with why. */
export function failedProposal(e: unknown): Proposal {
  return {
    code: null,
    diff: "",
    rejection: `proposal failed: ${e instanceof Error ? e.message : String(e)}`,
    model: "unknown",
    prompt: "",
    reply: "",
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  };
}

/** The proposal as stored: what was selected, asked and answered, the stream state and the commits it saw. */
export function proposedEvent(
  id: string,
  iteration: number,
  selection: Selection,
  proposal: Proposal,
  rngState: RngState,
  basis: number,
): RunEvent {
  return {
    type: "candidate_proposed",
    candidateId: id,
    iteration,
    parentId: selection.parent.id,
    tag: selection.tag,
    ...operationOf(selection.directive),
    code: proposal.code,
    diff: proposal.diff,
    prompt: proposal.prompt,
    model: proposal.model,
    reply: proposal.reply,
    usage: proposal.usage,
    rng: rngState,
    basis,
  };
}

/** The directive's operation, second parent and edit mode, as candidate_proposed records them. */
function operationOf(directive: Directive | undefined): {
  operation?: string;
  secondParentId?: string;
  editMode?: "diff" | "full";
} {
  return {
    ...(directive?.operation ? { operation: directive.operation } : {}),
    ...(directive?.secondParent ? { secondParentId: directive.secondParent.id } : {}),
    ...(directive?.editMode ? { editMode: directive.editMode } : {}),
  };
}

/** The ledger's calls as the events that store them (with a proposal, a settlement, or the run's end). */
export function calledEvents(calls: readonly ModelCall[]): RunEvent[] {
  return calls.map((call) => ({ type: "model_called", ...call }));
}
