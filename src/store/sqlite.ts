import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { type Driver, Kysely, SqliteDialect, sql } from "kysely";
import { DiskFullError, isDiskFull } from "../core/errors.ts";
import type { RunEvent } from "../core/events.ts";
import { KyselyStore } from "./kysely-store.ts";
import type { Database } from "./schema.ts";

/** The SQLite DDL; PostgreSQL will differ only in its column types. */
const ddl = [
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
];

export interface SqliteStoreOptions {
  /**
   * Open an existing database for reading only (the dashboard): SQLite refuses
   * every write on this connection, and nothing is created or migrated.
   */
  readonly?: boolean;
  /** Stamps the events appended (tests inject one); default Date.now. */
  clock?: () => number;
}

/**
 * Brings a run database written by an older version up to date, in one
 * transaction: the `island` columns become the strategy's `tag`, and each
 * candidate learns the seq of the event that settled it.
 */
function upgrade(raw: BetterSqlite3.Database): void {
  const columns = (table: string) =>
    (raw.prepare(`pragma table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
  const candidates = columns("candidates");
  if (candidates.length === 0) return;
  raw.transaction(() => {
    if (candidates.includes("island")) {
      raw.exec("alter table candidates rename column island to tag");
      raw.exec("alter table programs rename column island to tag");
    }
    if (!candidates.includes("settled_seq")) {
      raw.exec("alter table candidates add column settled_seq integer");
      raw.exec(`update candidates set settled_seq = (
        select min(seq) from events
        where type in ('edit_rejected', 'evaluation_finished') and json_extract(data, '$.candidateId') = candidates.id)`);
    }
  })();
}

/**
 * SQLite's dialect, except that a rollback SQLite already did is no error:
 * on a full disk SQLite rolls the transaction back itself, and the rollback
 * Kysely then sends ("no transaction is active") would hide why it failed.
 */
class SqliteRunDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    const rollback = driver.rollbackTransaction.bind(driver);
    driver.rollbackTransaction = async (connection) => {
      try {
        await rollback(connection);
      } catch (e) {
        if (!/no transaction is active/.test(String((e as Error).message))) throw e;
      }
    };
    return driver;
  }
}

/** The store over one SQLite file: a full disk is said as such, naming the file. */
class SqliteStore extends KyselyStore {
  constructor(
    db: Kysely<Database>,
    private readonly file: string,
    clock?: () => number,
  ) {
    super(db, clock);
  }

  override async append(events: RunEvent[]): Promise<void> {
    try {
      await super.append(events);
    } catch (e) {
      throw isDiskFull(e) ? new DiskFullError(this.file, e) : e;
    }
  }
}

/** Opens (creating if needed) the run database at `file`, in WAL mode. */
export async function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Promise<KyselyStore> {
  if (options.readonly) return openReadonly(file);
  mkdirSync(dirname(file), { recursive: true });
  try {
    const raw = new BetterSqlite3(file);
    // WAL lets `adrs status` read while a run writes; NORMAL sync is safe in WAL
    // against process crashes (kill -9), which is the failure resume must survive.
    raw.pragma("journal_mode = WAL");
    raw.pragma("synchronous = NORMAL");
    raw.pragma("busy_timeout = 5000");
    upgrade(raw);
    const db = new Kysely<Database>({ dialect: new SqliteRunDialect({ database: raw }) });
    for (const statement of ddl) await sql.raw(statement).execute(db);
    return new SqliteStore(db, file, options.clock);
  } catch (e) {
    throw isDiskFull(e) ? new DiskFullError(file, e) : e;
  }
}

/**
 * A reader beside a live writer: WAL lets it read while the run appends, and
 * the busy timeout covers the moments the writer holds the WAL index (recovery,
 * checkpoints), so a poll waits instead of failing.
 */
function openReadonly(file: string): KyselyStore {
  const raw = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  raw.pragma("busy_timeout = 5000");
  return new KyselyStore(new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) }));
}
