/** The SQLite schema, as Kysely migrations in the order they apply (all in one transaction: sqlite/index.ts). */
import { type Kysely, type Migration, sql } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was, not as Database declares it
type Db = Kysely<any>;

const exec = (db: Db, statements: string[]) =>
  statements.reduce(
    (p, s) =>
      p.then(() =>
        sql
          .raw(s)
          .execute(db)
          .then(() => {}),
      ),
    Promise.resolve(),
  );

async function columns(db: Db, table: string): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db);
  return rows.rows.map((r) => r.name);
}

export const sqliteMigrations: Record<string, Migration> = {
  /**
   * Runs stored before strategies had opaque tags: the `island` columns become
   * the strategy's `tag`, and each candidate learns the seq of the event that
   * settled it. Nothing to do on a new database.
   */
  "001-tags-and-settled-seq": {
    async up(db) {
      const candidates = await columns(db, "candidates");
      if (candidates.length === 0) return;
      const statements: string[] = [];
      if (candidates.includes("island")) {
        statements.push("alter table candidates rename column island to tag");
        statements.push("alter table programs rename column island to tag");
      }
      if (!candidates.includes("settled_seq")) {
        statements.push("alter table candidates add column settled_seq integer");
        statements.push(`update candidates set settled_seq = (
          select min(seq) from events
          where type in ('edit_rejected', 'evaluation_finished') and json_extract(data, '$.candidateId') = candidates.id)`);
      }
      await exec(db, statements);
    },
  },
  /** The event log and its projections (a database made before migrations already has them). */
  "002-tables": {
    up: (db) =>
      exec(db, [
        `create table if not exists events (
           seq integer primary key autoincrement, at integer not null, type text not null, data text not null)`,
        // Reads by type (steering before each selection, the summary's lifecycle) seek instead of scanning the log.
        "create index if not exists events_type on events (type, seq)",
        `create table if not exists candidates (
           id text primary key, iteration integer not null, parent_id text, tag text not null,
           state text not null, model text not null, code text, diff text not null, reason text,
           input_tokens integer not null, output_tokens integer not null, cost_usd real not null,
           eval_status text, score real, evaluation text, rng text, settled_seq integer)`,
        "create index if not exists candidates_parent on candidates (parent_id, iteration)",
        `create table if not exists model_calls (
           seq integer primary key autoincrement, at integer not null, candidate_id text, iteration integer,
           role text not null, model text not null, input_tokens integer not null, output_tokens integer not null,
           cost_usd real not null, duration_ms integer not null, outcome text not null)`,
        "create index if not exists model_calls_candidate on model_calls (candidate_id)",
        `create table if not exists programs (
           seq integer primary key autoincrement, id text not null unique, parent_id text,
           tag text not null, generation integer not null, iteration integer not null,
           score real not null, test_score real, test_evaluation text, data text not null)`,
        "create index if not exists programs_score on programs (score desc, seq)",
      ]),
  },
  /**
   * The run id every row carries (one run per file: ""), so the queries are
   * those of PostgreSQL; and the evaluations table, where the evaluation cache
   * and job results live (they were files under evaluations/ before).
   */
  "003-run-id-and-evaluations": {
    up: (db) =>
      exec(db, [
        ...["events", "candidates", "model_calls", "programs"].map(
          (t) => `alter table ${t} add column run_id text not null default ''`,
        ),
        `create table evaluations (
           run_id text not null, key text not null, evaluation text not null, primary key (run_id, key))`,
      ]),
  },
  /** Every HTTP attempt is a ledger row: whether a row's call tried again after it. */
  "004-attempts": {
    up: (db) => exec(db, ["alter table model_calls add column retried integer not null default 0"]),
  },
};
