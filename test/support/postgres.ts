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
