import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { type Driver, Kysely, SqliteDialect, sql } from "kysely";
import { DiskFullError, isDiskFull } from "../../core/errors.ts";
import type { RunEvent } from "../../core/events.ts";
import { KyselyStore } from "../kysely-store.ts";
import { isMigrated, migrate } from "../migrate.ts";
import type { Database } from "../schema.ts";
import { sqliteMigrations } from "./migrations.ts";

/** A SQLite file holds one run; its rows carry this run id. */
export const SQLITE_RUN_ID = "";

export interface SqliteStoreOptions {
  /**
   * Open an existing database for reading only (the dashboard, status): SQLite
   * refuses every write on this connection, and nothing is created.
   */
  readonly?: boolean;
  /** Stamps the events appended; the composition root passes the system clock, tests a fake one. */
  clock?: () => number;
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
    clock: () => number,
  ) {
    super(db, { runId: SQLITE_RUN_ID, clock, seqs: "autoincrement" });
  }

  override async append(events: RunEvent[]): Promise<void> {
    try {
      await super.append(events);
    } catch (e) {
      throw isDiskFull(e) ? new DiskFullError(this.file, e) : e;
    }
  }
}

/** Opens (creating if needed) the run database at `file`, in WAL mode, its schema migrated. */
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
    const db = new Kysely<Database>({ dialect: new SqliteRunDialect({ database: raw }) });
    // Every migration in one write transaction: a second process opening the run meanwhile (status, the
    // dashboard, a test) waits for it, then finds the schema migrated, instead of migrating it twice.
    // Taken only when something is to migrate, so opening a migrated run never waits for its writer.
    if (!(await isMigrated(db as Kysely<unknown>, sqliteMigrations))) {
      raw.exec("begin immediate");
      try {
        await migrate(db as Kysely<unknown>, sqliteMigrations, file);
        raw.exec("commit");
      } catch (e) {
        if (raw.inTransaction) raw.exec("rollback");
        await db.destroy();
        throw e;
      }
    }
    return new SqliteStore(db, file, options.clock ?? Date.now);
  } catch (e) {
    throw isDiskFull(e) ? new DiskFullError(file, e) : e;
  }
}

/**
 * A reader beside a live writer: WAL lets it read while the run appends, and
 * the busy timeout covers the moments the writer holds the WAL index (recovery,
 * checkpoints), so a poll waits instead of failing. A reader writes nothing,
 * except that a run stored by an older version (its tables there, its
 * migrations not) is migrated first, through a connection of its own.
 */
async function openReadonly(file: string): Promise<KyselyStore> {
  const raw = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  raw.pragma("busy_timeout = 5000");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  const tables = await sql<{
    n: number;
  }>`select count(*) as n from sqlite_master where name = 'events'`.execute(db);
  if (Number(tables.rows[0]?.n) > 0 && !(await isMigrated(db as Kysely<unknown>, sqliteMigrations))) {
    await db.destroy();
    await (await openSqliteStore(file)).close();
    return openReadonly(file);
  }
  return new KyselyStore(db, { runId: SQLITE_RUN_ID, clock: Date.now, seqs: "autoincrement" });
}
