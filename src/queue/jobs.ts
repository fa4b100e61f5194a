/** What the engine and `adrs worker` agree on: the job's name, its payload, the completion and the leases. */
import type pg from "pg";
import type { Evaluation, Split } from "../core/types.ts";
import type { EvaluatorOptions } from "../evaluate/evaluator.ts";
import { jobResultKey } from "./queue.ts";

/** graphile-worker's task identifier of an evaluation job. */
export const EVALUATE_JOB = "adrs_evaluate";
/** Notified with "<run id> <job key>" when a job's result is stored. */
export const EVALUATED_CHANNEL = "adrs_evaluated";

export type JobLimits = Pick<EvaluatorOptions, "timeoutMs" | "memoryMb" | "cpuMs" | "cascade">;

export interface EvaluationPayload {
  runId: string;
  /** The job key (candidate and split). */
  key: string;
  /** The task as the run's config names it (an id, or a folder path). */
  task: string;
  /** The run's task version hash; a worker whose copy differs refuses the job. */
  taskHash: string;
  limits: JobLimits;
  code: string;
  split: Split;
  workloads?: string[];
  /** A re-evaluation past the evaluation cache (JobOptions.fresh). */
  fresh?: boolean;
}

/** graphile-worker's job key: one job per run and job key, whoever queues it again. */
export function graphileJobKey(runId: string, key: string): string {
  return `${runId}/${key}`;
}

/**
 * Stores a job's result and completes the job in one transaction: the result
 * (first one stays, so a job run twice after a lost lease stores once), the
 * job's row deleted as graphile-worker's own completion would, its lease
 * dropped, and the engine notified at commit.
 */
export async function completeJob(
  pool: pg.Pool,
  jobId: string,
  payload: Pick<EvaluationPayload, "runId" | "key">,
  evaluation: Evaluation,
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query(
      "insert into evaluations (run_id, key, evaluation) values ($1, $2, $3) on conflict do nothing",
      [payload.runId, jobResultKey(payload.key), JSON.stringify(evaluation)],
    );
    // graphile-worker@0.17 completes a job by deleting its row; it then finds nothing left to delete.
    await client.query("delete from graphile_worker._private_jobs where id = $1", [jobId]);
    await client.query("delete from leases where job_id = $1", [jobId]);
    await client.query("select pg_notify($1, $2)", [EVALUATED_CHANNEL, `${payload.runId} ${payload.key}`]);
    await client.query("commit");
  } catch (e) {
    await client.query("rollback").catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

/** Takes or renews the lease on a job for `ms`. */
export async function lease(pool: pg.Pool, jobId: string, lockedBy: string, ms: number): Promise<void> {
  await pool.query(
    `insert into leases (job_id, locked_by, expires_at) values ($1, $2, now() + $3 * interval '1 millisecond')
     on conflict (job_id) do update set locked_by = excluded.locked_by, expires_at = excluded.expires_at`,
    [jobId, lockedBy, ms],
  );
}

/** The graphile worker ids whose leases ran out (their process was killed or lost): their jobs go back. */
export async function expiredLeases(pool: pg.Pool): Promise<string[]> {
  const rows = await pool.query<{ locked_by: string }>(
    "delete from leases where expires_at < now() returning locked_by",
  );
  return [...new Set(rows.rows.map((r) => r.locked_by))];
}

/** Why a job is stuck, if graphile-worker gave up on it (every attempt failed). */
export async function failedJob(pool: pg.Pool, runId: string, key: string): Promise<string | undefined> {
  const rows = await pool.query<{ last_error: string | null }>(
    `select last_error from graphile_worker._private_jobs
     where key = $1 and attempts >= max_attempts and locked_at is null`,
    [graphileJobKey(runId, key)],
  );
  const row = rows.rows[0];
  return row ? (row.last_error ?? "every attempt failed") : undefined;
}
