import type { Rng } from "../core/rng.ts";
import type { FailedAttempt, Program, Usage } from "../core/types.ts";
import type { Directive, ModelAnswer, StrategyEvent } from "./strategy.ts";

export type { FailedAttempt };

export interface ProposalContext {
  iteration: number;
  parent: Program;
  inspirations: Program[];
  /** The parent's most recent failed children, newest first. */
  failures: FailedAttempt[];
  /** The task's spec.md. */
  spec: string;
  /**
   * The strategy's say in how this child is made (prompt sections, a second
   * parent, edit mode, temperature, model role). A proposer honours what it
   * can: the LLM proposer all of it, the tuner none (it writes no prompt). A
   * ready-made child never reaches a proposer: the engine proposes it as is.
   */
  directive?: Directive;
  rng: Rng;
  signal?: AbortSignal;
}

/** One proposal: a child program, or the reason there is none. */
export interface Proposal {
  /** The child's full code; null when the edit could not be applied. */
  code: string | null;
  /** Unified diff of the child against the parent ("" when rejected). */
  diff: string;
  rejection?: string;
  /** `provider:name`, or `tuner` for the LLM-free proposer. */
  model: string;
  prompt: string;
  reply: string;
  usage: Usage;
  /** For the strategy, from a directive's `prepare` call: stored with the proposal, then handed to `replay`. */
  events?: StrategyEvent[];
}

/** A strategy's question to a model outside a proposal (a screen's novelty judge), for the candidate it concerns. */
export interface ModelQuestion {
  role: string;
  prompt: string;
  candidateId: string;
  iteration: number;
  /** Picks the model of the role's ensemble: seeded per candidate, so a replay asks the same one. */
  rng: Rng;
}

/** Something that turns a selection into a child program: the LLM proposer or the constant tuner. */
export interface Proposer {
  propose(context: ProposalContext): Promise<Proposal>;
  /**
   * Asks a model one question through the run's ledger (the LLM proposer;
   * the tuner has no model). Throws only when the run cannot go on: a replay
   * with no recorded reply.
   */
  ask?(question: ModelQuestion): Promise<ModelAnswer>;
}
