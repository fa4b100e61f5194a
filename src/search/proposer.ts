import type { Rng } from "../core/rng.ts";
import type { FailedAttempt, Program, Usage } from "../core/types.ts";
import type { Directive, StrategyEvent } from "./strategy.ts";

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

/** Something that turns a selection into a child program: the LLM proposer or the constant tuner. */
export interface Proposer {
  propose(context: ProposalContext): Promise<Proposal>;
}
