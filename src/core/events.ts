import type { RngState } from "./rng.ts";
import type { Evaluation, ModelCall, Program, Usage } from "./types.ts";

/**
 * Every change of a run's state is one of these, appended to the store.
 * Programs, islands, costs and the dashboard are projections of them.
 */
export type RunEvent =
  | { type: "run_started"; taskId: string; taskVersion: string; config: unknown; seed: number }
  | { type: "run_resumed"; pending: number }
  | { type: "run_stopped"; reason: StopReason; detail?: string }
  | {
      type: "candidate_proposed";
      candidateId: string;
      iteration: number;
      /** null for the seed (the task's initial program). */
      parentId: string | null;
      island: number;
      /** null when the edit was rejected (an edit_rejected event follows in the same transaction). */
      code: string | null;
      diff: string;
      prompt: string;
      model: string;
      reply: string;
      usage: Usage;
      /** Engine RNG state after this proposal's selection, so a resumed run continues the same stream. */
      rng: RngState;
    }
  /** One request to a model, with its exact messages and reply: the cost ledger and the recording replay reads. */
  | ({ type: "model_called" } & ModelCall)
  | { type: "edit_rejected"; candidateId: string; reason: string }
  | { type: "evaluation_finished"; candidateId: string; evaluation: Evaluation }
  | { type: "program_inserted"; program: Program }
  | { type: "program_migrated"; programId: string; from: number; to: number }
  | { type: "test_evaluated"; programId: string; evaluation: Evaluation };

export type StopReason =
  | "iterations"
  | "budget_usd"
  | "time_limit"
  | "target_score"
  | "patience"
  | "interrupted"
  | "error";

export type RunEventType = RunEvent["type"];

/** An event as stored: with its sequence number and time. */
export type StoredEvent = RunEvent & { seq: number; at: number };
