import { type Kysely, sql } from "kysely";
import { storedNoise } from "./kysely-noise.ts";
import type { Database } from "./schema.ts";
import type { ModelSpend, RoleSpend, RunSummary } from "./store.ts";

/**
 * A run's summary over any Kysely dialect: its lifecycle, counts of what
 * settled, spend per model and per role, and the best. `db` is the read-only
 * transaction the store opens, so no count is torn by a concurrent append.
 */
export async function summaryOf(db: Kysely<Database>, runId: string): Promise<RunSummary> {
  const lifecycle = await db
    .selectFrom("events")
    .where("run_id", "=", runId)
    .select(["type", "data", "at"])
    .where("type", "in", ["run_started", "run_resumed", "run_stopped"])
    .orderBy("seq")
    .execute();
  const last = await db
    .selectFrom("events")
    .where("run_id", "=", runId)
    .select(sql<number>`max(at)`.as("at"))
    .executeTakeFirst();
  const counts = await db
    .selectFrom("candidates")
    .where("run_id", "=", runId)
    .select([
      sql<number>`coalesce(max(iteration), 0)`.as("iterations"),
      sql<number>`sum(case when state = 'evaluated' then 1 else 0 end)`.as("evaluations"),
      sql<number>`sum(case when state = 'rejected' then 1 else 0 end)`.as("rejected"),
      sql<number>`sum(case when state = 'screened' then 1 else 0 end)`.as("screened"),
      sql<number>`sum(case when state = 'evaluated' and eval_status != 'ok' then 1 else 0 end)`.as("failed"),
    ])
    .executeTakeFirstOrThrow();
  const programs = await db
    .selectFrom("programs")
    .where("run_id", "=", runId)
    .select(sql<number>`count(*)`.as("n"))
    .executeTakeFirstOrThrow();
  const spend = await spendByModel(db, runId);
  const spendByRole = await spendBy(db, runId, "role");
  const best = await db
    .selectFrom("programs")
    .where("run_id", "=", runId)
    .select(["id", "score", "test_score"])
    .orderBy("score", "desc")
    .orderBy("seq")
    .limit(1)
    .executeTakeFirst();
  const { noise, bestSpread } = await storedNoise(db, runId, best?.id);
  const first = lifecycle[0];
  const end = lifecycle.at(-1);
  const stopped = end?.type === "run_stopped" ? (JSON.parse(end.data) as { reason: string }) : null;
  return {
    taskId: first ? (JSON.parse(first.data) as { taskId: string }).taskId : null,
    state: !end ? "new" : stopped ? "stopped" : "running",
    stopReason: stopped?.reason ?? null,
    startedAt: first ? Number(first.at) : null,
    lastEventAt: last?.at == null ? null : Number(last.at),
    iterations: Number(counts.iterations),
    evaluations: Number(counts.evaluations ?? 0),
    programs: Number(programs.n),
    rejectedEdits: Number(counts.rejected ?? 0),
    screened: Number(counts.screened ?? 0),
    failedEvaluations: Number(counts.failed ?? 0),
    costUsd: spend.reduce((a, s) => a + s.costUsd, 0),
    spend,
    spendByRole,
    best: best ? { id: best.id, score: best.score, testScore: best.test_score, spread: bestSpread } : null,
    noise,
  };
}

async function spendByModel(db: Kysely<Database>, runId: string): Promise<ModelSpend[]> {
  const rows = await db
    .selectFrom("model_calls")
    .where("run_id", "=", runId)
    .select([
      "model",
      sql<number>`sum(1 - retried)`.as("calls"),
      sql<number>`count(*)`.as("attempts"),
      sql<number>`sum(input_tokens)`.as("input"),
      sql<number>`sum(output_tokens)`.as("output"),
      sql<number>`sum(cost_usd)`.as("cost"),
      sql<number>`sum(case when outcome not in ('ok', 'empty', 'truncated', 'unknown') then 1 else 0 end)`.as(
        "failed",
      ),
      sql<number>`sum(case when outcome = 'unknown' then 1 else 0 end)`.as("unknown"),
      sql<number>`sum(case when outcome = 'empty' then 1 else 0 end)`.as("empty"),
      sql<number>`sum(case when outcome = 'truncated' then 1 else 0 end)`.as("truncated"),
    ])
    .groupBy("model")
    .orderBy("model")
    .execute();
  return rows.map((r) => ({
    model: r.model,
    calls: Number(r.calls),
    attempts: Number(r.attempts),
    inputTokens: Number(r.input),
    outputTokens: Number(r.output),
    costUsd: Number(r.cost),
    failed: Number(r.failed),
    empty: Number(r.empty),
    truncated: Number(r.truncated),
    unknown: Number(r.unknown),
  }));
}

async function spendBy(db: Kysely<Database>, runId: string, column: "role"): Promise<RoleSpend[]> {
  const rows = await db
    .selectFrom("model_calls")
    .where("run_id", "=", runId)
    .select([
      column,
      sql<number>`sum(1 - retried)`.as("calls"),
      sql<number>`count(*)`.as("attempts"),
      sql<number>`sum(input_tokens)`.as("input"),
      sql<number>`sum(output_tokens)`.as("output"),
      sql<number>`sum(cost_usd)`.as("cost"),
    ])
    .groupBy(column)
    .orderBy(column)
    .execute();
  return rows.map((r) => ({
    role: r.role,
    calls: Number(r.calls),
    attempts: Number(r.attempts),
    inputTokens: Number(r.input),
    outputTokens: Number(r.output),
    costUsd: Number(r.cost),
  }));
}
