import type { RngState } from "./rng.ts";
import type { Evaluation, ModelCall, Program, Reservation, Usage } from "./types.ts";

/**
 * Every change of a run's state is one of these, appended to the store.
 * Programs, costs, a strategy's population and the dashboard are projections
 * of them. Names are stable: readers (status, the dashboard) key on `type`.
 *
 * A candidate's life: `candidate_proposed`, then exactly one of
 * `edit_rejected` (no code), `candidate_screened` (turned away before its
 * evaluation) or `evaluation_finished` (followed by `program_inserted` when
 * it is ok). Each of those settles it; its strategy's own events follow in the
 * same transaction.
 */
export type RunEvent =
  /** A new run: its task, its whole resolved config and its seed. */
  | { type: "run_started"; taskId: string; taskVersion: string; config: unknown; seed: number }
  /** A session continues a stored run; `pending` candidates are evaluated first. */
  | { type: "run_resumed"; pending: number }
  | { type: "run_stopped"; reason: StopReason; detail?: string }
  /**
   * The session is alive: written when nothing else was for a while, so a
   * session killed during a long evaluation or model call still has a last
   * event near its end, and its active time is known.
   */
  | { type: "heartbeat" }
  /**
   * The budget and stop rules (the config's whole resolved `budget`) from now
   * on, replacing those of run_started: `adrs resume --iterations …` stores
   * one, and every later resume applies the latest.
   */
  | { type: "budget_changed"; budget: Record<string, unknown> }
  | {
      type: "candidate_proposed";
      candidateId: string;
      iteration: number;
      /** null for the seed (the task's initial program). */
      parentId: string | null;
      /** The strategy's opaque tag for this selection (an island, a front, a beam); "" for the seed. */
      tag: string;
      /** How the child was made when the strategy said (crossover, merge, reflect…); absent: a plain mutation. */
      operation?: string;
      /** The second parent of a crossover or merge. */
      secondParentId?: string;
      /** The edit mode when the strategy chose one for this child; absent: the run's editMode. */
      editMode?: "diff" | "full";
      /** null when the edit was rejected (an edit_rejected event follows in the same transaction). */
      code: string | null;
      diff: string;
      prompt: string;
      model: string;
      reply: string;
      usage: Usage;
      /** Engine RNG state after this proposal's selection, so a resumed run continues the same stream. */
      rng: RngState;
      /**
       * How many commits (proposals stored, candidates settled) the selection
       * saw: a replay selects after the same ones. Absent for the seed and in
       * runs stored before it was recorded.
       */
      basis?: number;
    }
  /** Stored before a model request is sent (again, larger, before each retry): see `Reservation`. */
  | ({ type: "model_reserved" } & Reservation)
  /** One request to a model, with its exact messages and reply: the cost ledger and the recording replay reads. */
  | ({ type: "model_called" } & ModelCall)
  /** The proposal produced no code (no edit in the reply, an edit that did not apply, a failed call). */
  | { type: "edit_rejected"; candidateId: string; reason: string }
  /** The strategy's screen turned the candidate away before its (full) evaluation. */
  | { type: "candidate_screened"; candidateId: string; reason: string }
  /** The trusted train evaluation of a candidate, ok or not. */
  | { type: "evaluation_finished"; candidateId: string; evaluation: Evaluation }
  /** An ok candidate joins the population. */
  | { type: "program_inserted"; program: Program }
  /** The held-out test evaluation of a program that became the best. */
  | { type: "test_evaluated"; programId: string; evaluation: Evaluation }
  /**
   * A strategy's own state change (islands: a migration; gepa: a minibatch
   * gate), stored with what caused it and handed back to the strategy on
   * resume. `strategy` is the strategy's name, `kind` what happened.
   */
  | { type: "strategy_event"; strategy: string; kind: string; data: unknown }
  | SteeringEvent;

/**
 * A researcher steering a live run from the dashboard. The dashboard appends
 * one of these to the store; the running engine reads them before each
 * selection and applies them from then on.
 */
export type SteeringEvent =
  /** Launch no new proposals (work in flight finishes) until `run_continued`. */
  | { type: "run_paused" }
  | { type: "run_continued" }
  /** Text added to every prompt from now until the hint is withdrawn. */
  | { type: "hint_added"; hintId: string; text: string }
  | { type: "hint_withdrawn"; hintId: string }
  /** A program never selected again, as parent or as inspiration. */
  | { type: "program_vetoed"; programId: string };

export const STEERING_EVENTS = [
  "run_paused",
  "run_continued",
  "hint_added",
  "hint_withdrawn",
  "program_vetoed",
] as const satisfies readonly SteeringEvent["type"][];

export type StopReason =
  | "iterations"
  | "budget_usd"
  | "time_limit"
  | "target_score"
  | "patience"
  /** `budget.modelFailures` proposals in a row were lost to model errors. */
  | "models_failing"
  | "interrupted"
  | "error";

export type RunEventType = RunEvent["type"];

/** An event as stored: with its sequence number and time. */
export type StoredEvent = RunEvent & { seq: number; at: number };
