/** The write side of KyselyStore: one append's rows, in one transaction, for one run. */
import type { Kysely } from "kysely";
import type { RunEvent } from "../core/events.ts";
import type { Database } from "./schema.ts";

type Tx = Kysely<Database>;

/**
 * How a dialect numbers a run's rows. `autoincrement`: the table does (a
 * SQLite file holds one run, so its seqs are the run's). `counter`: the run's
 * row in `runs` does, under its row lock, so every run of a shared database
 * counts from 1 without gaps and appends to one run are serialised.
 */
export type SeqMode = "autoincrement" | "counter";

/** Appends `events` for `runId` at time `at`, with their projections. */
export async function appendEvents(
  tx: Tx,
  runId: string,
  mode: SeqMode,
  events: RunEvent[],
  at: number,
): Promise<void> {
  const next = mode === "counter" ? await allocate(tx, runId, events) : null;
  const rows = events.map((e, i) => ({
    run_id: runId,
    ...(next ? { seq: next.events + i } : {}),
    at,
    type: e.type,
    data: JSON.stringify(e),
  }));
  const inserted = await tx.insertInto("events").values(rows).returning("seq").execute();
  // Rows take increasing seqs in the order given, whatever order RETURNING lists them in.
  const seqs = inserted.map((r) => Number(r.seq)).sort((x, y) => x - y);
  const counters = next ? { calls: next.calls, programs: next.programs } : null;
  for (let i = 0; i < events.length; i++) {
    await project(tx, runId, events[i] as RunEvent, at, seqs[i] as number, counters);
  }
}

/** Reserves seqs for this append from the run's counters; returns the first of each. */
async function allocate(tx: Tx, runId: string, events: RunEvent[]) {
  const calls = events.filter((e) => e.type === "model_called").length;
  const programs = events.filter((e) => e.type === "program_inserted").length;
  await tx
    .insertInto("runs")
    .values({ run_id: runId, events: 0, model_calls: 0, programs: 0 })
    .onConflict((oc) => oc.column("run_id").doNothing())
    .execute();
  const row = await tx
    .updateTable("runs")
    .set((eb) => ({
      events: eb("events", "+", events.length),
      model_calls: eb("model_calls", "+", calls),
      programs: eb("programs", "+", programs),
    }))
    .where("run_id", "=", runId)
    .returning(["events", "model_calls", "programs"])
    .executeTakeFirstOrThrow();
  return {
    events: Number(row.events) - events.length + 1,
    calls: Number(row.model_calls) - calls + 1,
    programs: Number(row.programs) - programs + 1,
  };
}

/** Keeps the projection tables in step with one event, inside the append's transaction. */
async function project(
  tx: Tx,
  runId: string,
  e: RunEvent,
  at: number,
  seq: number,
  counters: { calls: number; programs: number } | null,
): Promise<void> {
  const candidate = (id: string) =>
    tx.updateTable("candidates").where("run_id", "=", runId).where("id", "=", id);
  switch (e.type) {
    case "model_called":
      await tx
        .insertInto("model_calls")
        .values({
          run_id: runId,
          ...(counters ? { seq: counters.calls++ } : {}),
          at,
          candidate_id: e.candidateId,
          iteration: e.iteration,
          role: e.role,
          model: e.model,
          input_tokens: e.usage.inputTokens,
          output_tokens: e.usage.outputTokens,
          cost_usd: e.usage.costUsd,
          duration_ms: Math.round(e.durationMs),
          outcome: e.outcome,
          retried: e.retried ? 1 : 0,
        })
        .execute();
      return;
    case "candidate_proposed":
      await tx
        .insertInto("candidates")
        .values({
          run_id: runId,
          id: e.candidateId,
          iteration: e.iteration,
          parent_id: e.parentId,
          tag: e.tag,
          state: "proposed",
          model: e.model,
          code: e.code,
          diff: e.diff,
          reason: null,
          input_tokens: e.usage.inputTokens,
          output_tokens: e.usage.outputTokens,
          cost_usd: e.usage.costUsd,
          eval_status: null,
          score: null,
          evaluation: null,
          rng: JSON.stringify(e.rng),
          settled_seq: null,
        })
        .execute();
      return;
    case "edit_rejected":
      await candidate(e.candidateId).set({ state: "rejected", reason: e.reason, settled_seq: seq }).execute();
      return;
    case "candidate_screened":
      await candidate(e.candidateId).set({ state: "screened", reason: e.reason, settled_seq: seq }).execute();
      return;
    case "evaluation_finished":
      await candidate(e.candidateId)
        .set({
          state: "evaluated",
          eval_status: e.evaluation.status,
          score: e.evaluation.score,
          evaluation: JSON.stringify(e.evaluation),
          settled_seq: seq,
        })
        .execute();
      return;
    case "program_inserted": {
      const p = e.program;
      await tx
        .insertInto("programs")
        .values({
          run_id: runId,
          ...(counters ? { seq: counters.programs++ } : {}),
          id: p.id,
          parent_id: p.parentId,
          tag: p.tag,
          generation: p.generation,
          iteration: p.iteration,
          score: p.score,
          test_score: null,
          test_evaluation: null,
          data: JSON.stringify(p),
        })
        .execute();
      return;
    }
    case "test_evaluated":
      await tx
        .updateTable("programs")
        .set({ test_score: e.evaluation.score, test_evaluation: JSON.stringify(e.evaluation) })
        .where("run_id", "=", runId)
        .where("id", "=", e.programId)
        .execute();
      return;
    default:
      return;
  }
}
