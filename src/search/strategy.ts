import type { Rng } from "../core/rng.ts";
import type { Candidate, Evaluation, Program, Settled } from "../core/types.ts";
import type { PromptSection } from "../prompt/build.ts";

export type { Settled };

export type { PromptSection };

/**
 * How the proposer should make this child, when the strategy has a say. Every
 * field is optional; an empty directive (or none) is the proposer's usual
 * mutation of the parent.
 */
export interface Directive {
  /** A short name for how the child is made (mutate, reflect, crossover, merge, rewrite), stored with the candidate. */
  operation?: string;
  /** Sections added to the prompt after the standard ones (feedback on a minibatch, a hint, a note). */
  sections?: PromptSection[];
  /** A second parent shown beside the first (crossover); the child is still an edit of `parent`. */
  secondParent?: Program;
  /** Overrides the run's `editMode` for this child. */
  editMode?: "diff" | "full";
  /** Overrides the model's temperature for this child. */
  temperature?: number;
  /** The model role that answers (mutation by default): names the calls in the ledger. */
  role?: string;
  /** A child made without a model (a merge): proposed as is, no proposer asked. */
  child?: { code: string; note: string };
  /**
   * A model call made before the child's own (meta-recommendations): `prompt`
   * goes to a model of `role`; its reply joins this child's prompt as a
   * section under `title`, and comes back to the strategy as a strategy event
   * of `kind` with `{ text }` (stored with the proposal, replayed on resume).
   */
  prepare?: { role: string; kind: string; title: string; prompt: string };
}

/** A strategy's own event: `kind` says what happened, `data` is anything JSON. */
export interface StrategyEvent {
  kind: string;
  data: unknown;
}

/** What a strategy hands the proposer: the parent to change, programs to learn from, and its tag. */
export interface Selection {
  parent: Program;
  inspirations: Program[];
  /** Opaque to the engine: stored with the candidate and its program, handed back through ingest. */
  tag: string;
  directive?: Directive;
  /** Events about this choice, stored with the proposed candidate. */
  events?: StrategyEvent[];
}

/** A model's reply to a strategy's question, or why there is none; `model` is the one asked. */
export type ModelAnswer = { text: string; model: string } | { error: string; model: string };

/** What `screen` may use: trusted, sandboxed evaluation on part of the train split, a model, and randomness that replays. */
export interface ScreenTools {
  /** The train workload ids, in the split's order. */
  trainWorkloads: readonly string[];
  /** Evaluates code on these train workloads only (score = the task's aggregate over them). */
  evaluate(code: string, workloads: readonly string[]): Promise<Evaluation>;
  /** Seeded from the run's seed and the candidate's id: the same draws on every resume. */
  rng: Rng;
  /**
   * Asks a model of `role` (one of that role's models; the mutation models
   * when none serves it) one prompt, through the run's ledger and dollar
   * budget: charged to this candidate under `role`, stored with its
   * settlement, answered from the recording in a replay. A failed or refused
   * call is an answer with its `error`. Absent when the run has no model
   * (the tuner).
   */
  ask?(role: string, prompt: string): Promise<ModelAnswer>;
}

export type ScreenVerdict =
  | { pass: true; events?: StrategyEvent[] }
  | { pass: false; reason: string; events?: StrategyEvent[] };

/**
 * A search strategy keeps the population and decides what to try next.
 *
 * The engine never reads a strategy's tags or events. Everything that settles
 * a candidate reaches `ingest`, in store order: a program (with its whole
 * evaluation, a 0–100 score per train workload included), a failed
 * evaluation, a rejected edit, a screened-out candidate.
 *
 * Rebuilding on resume: the engine calls `ingest` for every stored settled
 * candidate and `replay` for every stored event of this strategy, interleaved
 * in stored order, and restores its RNG; nothing else. So `ingest` must be
 * deterministic (no randomness, no clock), and a state change that ingest
 * cannot rebuild (a decision `select` or `screen` made) must be an event the
 * strategy applies again in `replay`. Events that ingest returns describe
 * changes ingest makes anyway; `replay` ignores those.
 */
export interface Strategy {
  readonly name: string;
  /** All randomness comes from `rng`, the engine's stream. */
  select(rng: Rng): Selection;
  ingest(settled: Settled): StrategyEvent[];
  /** May turn a candidate away before its evaluation (never the seed), with the reason. */
  screen?(candidate: Candidate, tools: ScreenTools): Promise<ScreenVerdict>;
  /** On resume: one of this strategy's stored events, at its place among the ingests. */
  replay?(event: StrategyEvent): void;
  best(): Program | undefined;
  size(): number;
  /** A JSON-able picture of the population (islands, grid occupancy, a front) for status and the dashboard. */
  describe(): unknown;
}
