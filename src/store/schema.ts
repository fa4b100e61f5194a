import type { Generated } from "kysely";

/** Tables of a run database: the event log plus projections kept in step with it. */
export interface Database {
  events: {
    /** The run the row belongs to: a PostgreSQL database holds many runs; a SQLite file one (run id ""). */
    run_id: string;
    seq: Generated<number>;
    at: number;
    type: string;
    data: string;
  };
  /** One row per candidate (and the seed): its proposal, then its evaluation. */
  candidates: {
    run_id: string;
    id: string;
    iteration: number;
    parent_id: string | null;
    /** The strategy's opaque tag (SQLite may hand back a number for runs stored before tags). */
    tag: string;
    /** proposed | rejected | screened | evaluated */
    state: string;
    model: string;
    code: string | null;
    diff: string;
    reason: string | null;
    input_tokens: number;
    output_tokens: number;
    cost_usd: number;
    eval_status: string | null;
    score: number | null;
    evaluation: string | null;
    rng: string | null;
    /** The seq of the event that settled it (rejected, screened or evaluated): the order strategies ingest in. */
    settled_seq: number | null;
  };
  /** The cost ledger: one row per HTTP attempt of a model call of any role (model_called events). */
  model_calls: {
    run_id: string;
    seq: Generated<number>;
    at: number;
    candidate_id: string | null;
    iteration: number | null;
    role: string;
    model: string;
    input_tokens: number;
    output_tokens: number;
    cost_usd: number;
    duration_ms: number;
    /** ok | empty | truncated | unknown | an LlmError kind */
    outcome: string;
    /** 1 when the attempt failed and its call tried again (it did not end its call). */
    retried: Generated<number>;
  };
  programs: {
    run_id: string;
    seq: Generated<number>;
    id: string;
    parent_id: string | null;
    tag: string;
    generation: number;
    iteration: number;
    score: number;
    test_score: number | null;
    test_evaluation: string | null;
    data: string;
  };
  /**
   * Evaluations outside the event log: the evaluation cache (by cache key:
   * task, version, split, limits, code hash) that every worker shares, and
   * each job's result (by job key: candidate id and split), stored once.
   */
  evaluations: {
    run_id: string;
    key: string;
    evaluation: string;
  };
  /** Per-run counters (PostgreSQL): the next seqs of a run, allocated under the row's lock so each run counts from 1. */
  runs: {
    run_id: string;
    events: number;
    model_calls: number;
    programs: number;
  };
}
