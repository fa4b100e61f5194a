import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { InputError } from "../../core/errors.ts";
import { KyselyStore } from "../kysely-store.ts";
import { migrate } from "../migrate.ts";
import type { Database } from "../schema.ts";
import { postgresMigrations } from "./migrations.ts";

export interface PostgresStoreOptions {
  /** The run this store reads and writes (many runs share one database). */
  runId: string;
  /** Stamps the events appended; the composition root passes the system clock, tests a fake one. */
  clock?: () => number;
}

/** Whether `location` names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}

/** 64-bit integers and numerics (seqs, times, counts, sums) read as numbers, as SQLite gives them. */
const numbers = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A connection pool on `url`, with a clear error when the server cannot be reached. */
export async function connectPostgres(url: string, max = 4): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max, types: numbers });
  // A server going away under an idle connection is reported to the query that next needs one, not thrown here.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  try {
    (await pool.connect()).release();
  } catch (e) {
    await pool.end();
    throw new InputError(
      `--store ${redact(url)}: cannot reach PostgreSQL (${e instanceof Error ? e.message : String(e)}); is the server running and the URL right?`,
    );
  }
  return pool;
}

/** Opens one run's store in the PostgreSQL database at `url`, migrating its schema first. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions): Promise<KyselyStore> {
  const pool = await connectPostgres(url);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrate(db as Kysely<unknown>, postgresMigrations, redact(url));
  return new KyselyStore(db, { runId: options.runId, clock: options.clock ?? Date.now, seqs: "counter" });
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, "//$1:***@");
}
