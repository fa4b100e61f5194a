import { setTimeout } from "node:timers/promises";
import { type Kysely, type Migration, Migrator } from "kysely";

/**
 * Brings a database's schema up to date with Kysely's Migrator. Migrations
 * are code (each dialect's `migrations.ts`), named so they sort in the order
 * they apply; the Migrator records which ran in its own table.
 */
export async function migrate(db: Kysely<unknown>, migrations: Record<string, Migration>, where: string) {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return;
    // Before it migrates, the Migrator reads the catalog (every table's columns). Another process
    // changing the schema at that moment (a worker's graphile-worker installing its tables in a
    // fresh database) can make that read fail: "column ... does not exist". Nothing was migrated
    // then (no results), so trying again is safe.
    if (results === undefined && attempt < SETUP_ATTEMPTS) {
      await setTimeout(100 * attempt);
      continue;
    }
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${where}: schema migration ${failed ? `${failed} ` : ""}failed: ${reason}`);
  }
}

/** Tries of the Migrator's set-up before its error is the user's. */
const SETUP_ATTEMPTS = 5;

/** Whether every migration has run (a reader must not write, so it asks before it reads). */
export async function isMigrated(
  db: Kysely<unknown>,
  migrations: Record<string, Migration>,
): Promise<boolean> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const known = await migrator.getMigrations();
  return known.every((m) => m.executedAt !== undefined);
}
