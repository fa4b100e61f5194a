/** The PostgreSQL schema, as Kysely migrations in the order they apply. Many runs share it: a run id on every row. */
import { type Migration, sql } from "kysely";

export const postgresMigrations: Record<string, Migration> = {
  "001-tables": {
    async up(db) {
      for (const statement of [
        // Each run's seqs count from 1 (allocated under its row's lock): the same numbers SQLite gives a run.
        `create table runs (
           run_id text primary key, events bigint not null, model_calls bigint not null, programs bigint not null)`,
        `create table events (
           run_id text not null, seq bigint not null, at bigint not null, type text not null, data text not null,
           primary key (run_id, seq))`,
        "create index events_type on events (run_id, type, seq)",
        `create table candidates (
           run_id text not null, id text not null, iteration integer not null, parent_id text, tag text not null,
           state text not null, model text not null, code text, diff text not null, reason text,
           input_tokens integer not null, output_tokens integer not null, cost_usd double precision not null,
           eval_status text, score double precision, evaluation text, rng text, settled_seq bigint,
           primary key (run_id, id))`,
        "create index candidates_parent on candidates (run_id, parent_id, iteration)",
        "create index candidates_settled on candidates (run_id, settled_seq)",
        `create table model_calls (
           run_id text not null, seq bigint not null, at bigint not null, candidate_id text, iteration integer,
           role text not null, model text not null, input_tokens integer not null, output_tokens integer not null,
           cost_usd double precision not null, duration_ms integer not null, outcome text not null,
           primary key (run_id, seq))`,
        `create table programs (
           run_id text not null, seq bigint not null, id text not null, parent_id text,
           tag text not null, generation integer not null, iteration integer not null,
           score double precision not null, test_score double precision, test_evaluation text, data text not null,
           primary key (run_id, seq), unique (run_id, id))`,
        "create index programs_score on programs (run_id, score desc, seq)",
        `create table evaluations (
           run_id text not null, key text not null, evaluation text not null, primary key (run_id, key))`,
      ]) {
        await sql.raw(statement).execute(db);
      }
    },
  },
  /**
   * Leases of evaluation jobs (adrs worker): a worker renews its job's lease
   * while it runs; a lease that ran out means the worker died, and its jobs
   * are handed back to graphile-worker for another worker.
   */
  "002-leases": {
    async up(db) {
      await sql
        .raw(
          "create table leases (job_id bigint primary key, locked_by text not null, expires_at timestamptz not null)",
        )
        .execute(db);
    },
  },
  /** Every HTTP attempt is a ledger row: whether a row's call tried again after it. */
  "003-attempts": {
    async up(db) {
      await sql.raw("alter table model_calls add column retried integer not null default 0").execute(db);
    },
  },
};
