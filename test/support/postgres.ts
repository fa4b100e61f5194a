/**
 * The local PostgreSQL every machine of the project runs (127.0.0.1:5432,
 * trust authentication, database `test`; .ci/run starts it). A test that
 * needs it fails when it cannot reach it: openPostgresStore throws.
 */
import { randomBytes } from "node:crypto";

export function postgresUrl(): string {
  return process.env.ADRS_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";
}

/** A run id no other test (nor an earlier run of this one) uses: tests share the database, never a run. */
export function testRunId(name: string): string {
  return `test-${name}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

/**
 * A database of its own for a test whose workers take every job they find:
 * jobs left by another test (or a killed run of this one) never reach them.
 * `drop` removes it, closing whatever is still connected.
 */
export async function freshDatabase(name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: pg } = await import("pg");
  const admin = new pg.Client({ connectionString: postgresUrl() });
  await admin.connect();
  const db = testRunId(name).replace(/-/g, "_");
  await admin.query(`create database ${db}`);
  await admin.end();
  const url = new URL(postgresUrl());
  url.pathname = `/${db}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: postgresUrl() });
      await c.connect();
      await c.query(`drop database if exists ${db} with (force)`);
      await c.end();
    },
  };
}
