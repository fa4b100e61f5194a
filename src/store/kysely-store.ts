import { type Kysely, sql } from "kysely";
import type { RunEvent, RunEventType, StoredEvent } from "../core/events.ts";
import type { RngState } from "../core/rng.ts";
import type { Candidate, Evaluation, FailedAttempt, ModelCall, Program, Usage } from "../core/types.ts";
import { storedNoise } from "./kysely-noise.ts";
import { appendEvents, type SeqMode } from "./kysely-write.ts";
import { activeSecondsOf, failureReason, mergeBySeq, settledOf } from "./projection.ts";
import type { Database } from "./schema.ts";
import type {
  HistoryEntry,
  LedgerEntry,
  ModelSpend,
  ProposalOutcome,
  RoleSpend,
  RunSummary,
  Store,
} from "./store.ts";
import { readEvent, readProgram, tagOf } from "./upgrade.ts";

type Db = Kysely<Database>;

export interface KyselyStoreOptions {
  /** The run this store reads and writes: every row carries it. */
  runId: string;
  /** Stamps the events appended; injected, never read from the system by the store itself. */
  clock: () => number;
  seqs: SeqMode;
}

/**
 * One run's store over any Kysely dialect: the query code is shared, only the
 * schema's migrations and the connection differ per database
 * (store/sqlite/, store/postgres/). Every query is scoped to the run's id.
 */
export class KyselyStore implements Store {
  readonly runId: string;
  private readonly clock: () => number;
  private readonly seqs: SeqMode;

  constructor(
    private readonly db: Db,
    options: KyselyStoreOptions,
  ) {
    this.runId = options.runId;
    this.clock = options.clock;
    this.seqs = options.seqs;
  }

  async append(events: RunEvent[]): Promise<void> {
    if (events.length === 0) return;
    const at = this.clock();
    await this.db.transaction().execute((tx) => appendEvents(tx, this.runId, this.seqs, events, at));
  }

  async evaluation(key: string): Promise<Evaluation | undefined> {
    const row = await this.db
      .selectFrom("evaluations")
      .select("evaluation")
      .where("run_id", "=", this.runId)
      .where("key", "=", key)
      .executeTakeFirst();
    return row ? (JSON.parse(row.evaluation) as Evaluation) : undefined;
  }

  async saveEvaluation(key: string, evaluation: Evaluation): Promise<void> {
    await this.db
      .insertInto("evaluations")
      .values({ run_id: this.runId, key, evaluation: JSON.stringify(evaluation) })
      .onConflict((oc) => oc.columns(["run_id", "key"]).doNothing())
      .execute();
  }

  async events(afterSeq = 0, limit = 10_000, types?: readonly RunEventType[]): Promise<StoredEvent[]> {
    let query = this.db
      .selectFrom("events")
      .where("run_id", "=", this.runId)
      .selectAll()
      .where("seq", ">", afterSeq);
    if (types) query = query.where("type", "in", types.length > 0 ? [...types] : [""]);
    const rows = await query.orderBy("seq").limit(limit).execute();
    return rows.map((r) => ({ ...readEvent(r.data), seq: r.seq, at: r.at }));
  }

  async programs(): Promise<Program[]> {
    const rows = await this.db
      .selectFrom("programs")
      .where("run_id", "=", this.runId)
      .select("data")
      .orderBy("seq")
      .execute();
    return rows.map((r) => readProgram(r.data));
  }

  async history(afterSeq = 0): Promise<HistoryEntry[]> {
    const rows = await this.db
      .selectFrom("candidates as c")
      .leftJoin("programs as p", (j) => j.onRef("p.id", "=", "c.id").onRef("p.run_id", "=", "c.run_id"))
      .where("c.run_id", "=", this.runId)
      .select([
        "c.id",
        "c.iteration",
        "c.parent_id",
        "c.tag",
        "c.state",
        "c.model",
        "c.code",
        "c.diff",
        "c.reason",
        "c.evaluation",
        "c.settled_seq",
        "p.data as program",
      ])
      .where("c.settled_seq", ">", afterSeq)
      .orderBy("c.settled_seq")
      .execute();
    const settled = rows.map((r): HistoryEntry => {
      const candidate = {
        id: r.id,
        iteration: r.iteration,
        parentId: r.parent_id ?? "",
        tag: tagOf(r.tag),
        code: r.code,
        diff: r.diff,
        model: r.model,
      };
      return {
        seq: r.settled_seq as number,
        settled: settledOf(candidate, r.state, r.reason, r.evaluation, r.program),
      };
    });
    const events = await this.db
      .selectFrom("events")
      .where("run_id", "=", this.runId)
      .select(["seq", "data"])
      .where("type", "in", ["strategy_event", "program_migrated"])
      .where("seq", ">", afterSeq)
      .orderBy("seq")
      .execute();
    const own = events.flatMap((r): HistoryEntry[] => {
      const e = readEvent(r.data);
      if (e.type !== "strategy_event") return [];
      return [{ seq: r.seq, strategyEvent: { strategy: e.strategy, kind: e.kind, data: e.data } }];
    });
    return mergeBySeq(settled, own);
  }

  async program(id: string): Promise<Program | undefined> {
    const row = await this.db
      .selectFrom("programs")
      .where("run_id", "=", this.runId)
      .select("data")
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? readProgram(row.data) : undefined;
  }

  async best() {
    const row = await this.db
      .selectFrom("programs")
      .innerJoin("candidates", (j) =>
        j.onRef("candidates.id", "=", "programs.id").onRef("candidates.run_id", "=", "programs.run_id"),
      )
      .where("programs.run_id", "=", this.runId)
      .select(["programs.data", "programs.test_evaluation", "candidates.evaluation"])
      .orderBy("programs.score", "desc")
      .orderBy("programs.seq")
      .limit(1)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      program: readProgram(row.data),
      evaluation: JSON.parse(row.evaluation ?? "null") as Evaluation,
      test: row.test_evaluation ? (JSON.parse(row.test_evaluation) as Evaluation) : null,
    };
  }

  async pendingCandidates(): Promise<Candidate[]> {
    const rows = await this.db
      .selectFrom("candidates")
      .where("run_id", "=", this.runId)
      .selectAll()
      .where("state", "=", "proposed")
      .where("code", "is not", null)
      .orderBy("iteration")
      .execute();
    return rows.map((r) => ({
      id: r.id,
      iteration: r.iteration,
      parentId: r.parent_id ?? "",
      tag: tagOf(r.tag),
      code: r.code ?? "",
      diff: r.diff,
      model: r.model,
    }));
  }

  async recentFailures(parentId: string, limit: number): Promise<FailedAttempt[]> {
    const rows = await this.db
      .selectFrom("candidates")
      .where("run_id", "=", this.runId)
      .select(["id", "reason", "diff", "evaluation"])
      .where("parent_id", "=", parentId)
      .where((eb) =>
        eb.or([
          eb("state", "in", ["rejected", "screened"]),
          eb.and([eb("state", "=", "evaluated"), eb("eval_status", "!=", "ok")]),
        ]),
      )
      .orderBy("iteration", "desc")
      .limit(limit)
      .execute();
    return rows.map((r) => {
      const evaluation = r.evaluation ? (JSON.parse(r.evaluation) as Evaluation) : undefined;
      return { candidateId: r.id, reason: failureReason(r.reason, evaluation), diff: r.diff };
    });
  }

  async startConfig(): Promise<unknown | undefined> {
    const row = await this.db
      .selectFrom("events")
      .where("run_id", "=", this.runId)
      .select("data")
      .where("type", "=", "run_started")
      .orderBy("seq")
      .limit(1)
      .executeTakeFirst();
    return row ? (JSON.parse(row.data) as { config: unknown }).config : undefined;
  }

  async lastRngState(): Promise<RngState | undefined> {
    const row = await this.db
      .selectFrom("candidates")
      .where("run_id", "=", this.runId)
      .select("rng")
      .where("rng", "is not", null)
      .orderBy("iteration", "desc")
      .limit(1)
      .executeTakeFirst();
    return row?.rng ? (JSON.parse(row.rng) as RngState) : undefined;
  }

  async totalUsage(): Promise<Usage> {
    const row = await this.db
      .selectFrom("model_calls")
      .where("run_id", "=", this.runId)
      .select([
        sql<number>`coalesce(sum(input_tokens), 0)`.as("input"),
        sql<number>`coalesce(sum(output_tokens), 0)`.as("output"),
        sql<number>`coalesce(sum(cost_usd), 0)`.as("cost"),
      ])
      .executeTakeFirstOrThrow();
    return { inputTokens: Number(row.input), outputTokens: Number(row.output), costUsd: Number(row.cost) };
  }

  async ledger(): Promise<LedgerEntry[]> {
    const rows = await this.db
      .selectFrom("model_calls")
      .where("run_id", "=", this.runId)
      .selectAll()
      .orderBy("seq")
      .execute();
    return rows.map((r) => ({
      seq: r.seq,
      at: r.at,
      candidateId: r.candidate_id,
      iteration: r.iteration,
      role: r.role,
      model: r.model,
      inputTokens: r.input_tokens,
      outputTokens: r.output_tokens,
      costUsd: r.cost_usd,
      durationMs: r.duration_ms,
      outcome: r.outcome,
    }));
  }

  async modelCalls(): Promise<ModelCall[]> {
    const rows = await this.db
      .selectFrom("events")
      .where("run_id", "=", this.runId)
      .select("data")
      .where("type", "=", "model_called")
      .orderBy("seq")
      .execute();
    return rows.map((r) => {
      const { type: _, ...call } = JSON.parse(r.data) as RunEvent & { type: "model_called" };
      return call;
    });
  }

  async outcomes(): Promise<ProposalOutcome[]> {
    const rows = await this.db
      .selectFrom("candidates as c")
      .leftJoin("programs as child", (j) =>
        j.onRef("child.id", "=", "c.id").onRef("child.run_id", "=", "c.run_id"),
      )
      .leftJoin("programs as parent", (j) =>
        j.onRef("parent.id", "=", "c.parent_id").onRef("parent.run_id", "=", "c.run_id"),
      )
      .where("c.run_id", "=", this.runId)
      .select(["c.id", "c.model", "child.score as score", "parent.score as parentScore"])
      .where("c.iteration", ">", 0)
      .where("c.state", "in", ["rejected", "screened", "evaluated"])
      .orderBy("c.iteration")
      .execute();
    return rows.map((r) => ({
      candidateId: r.id,
      model: r.model,
      gain: r.score != null && r.parentScore != null ? Math.max(0, r.score - r.parentScore) : 0,
    }));
  }

  /** One consistent snapshot: every count is read in one read-only transaction, none torn by a concurrent append. */
  summary(): Promise<RunSummary> {
    return this.db
      .transaction()
      .setIsolationLevel("repeatable read")
      .setAccessMode("read only")
      .execute((tx) => this.summaryIn(tx));
  }

  private async summaryIn(db: Db): Promise<RunSummary> {
    const lifecycle = await db
      .selectFrom("events")
      .where("run_id", "=", this.runId)
      .select(["type", "data", "at"])
      .where("type", "in", ["run_started", "run_resumed", "run_stopped"])
      .orderBy("seq")
      .execute();
    const last = await db
      .selectFrom("events")
      .where("run_id", "=", this.runId)
      .select(sql<number>`max(at)`.as("at"))
      .executeTakeFirst();
    const counts = await db
      .selectFrom("candidates")
      .where("run_id", "=", this.runId)
      .select([
        sql<number>`coalesce(max(iteration), 0)`.as("iterations"),
        sql<number>`sum(case when state = 'evaluated' then 1 else 0 end)`.as("evaluations"),
        sql<number>`sum(case when state = 'rejected' then 1 else 0 end)`.as("rejected"),
        sql<number>`sum(case when state = 'screened' then 1 else 0 end)`.as("screened"),
        sql<number>`sum(case when state = 'evaluated' and eval_status != 'ok' then 1 else 0 end)`.as(
          "failed",
        ),
      ])
      .executeTakeFirstOrThrow();
    const programs = await db
      .selectFrom("programs")
      .where("run_id", "=", this.runId)
      .select(sql<number>`count(*)`.as("n"))
      .executeTakeFirstOrThrow();
    const spend = await this.spendByModel(db);
    const spendByRole = await this.spendBy(db, "role");
    const best = await db
      .selectFrom("programs")
      .where("run_id", "=", this.runId)
      .select(["id", "score", "test_score"])
      .orderBy("score", "desc")
      .orderBy("seq")
      .limit(1)
      .executeTakeFirst();
    const { noise, bestSpread } = await storedNoise(db, this.runId, best?.id);
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

  /** Seconds the run was active across all its sessions (start/resume to stop or last event). */
  async activeSeconds(now = this.clock()): Promise<number> {
    const rows = await this.db
      .selectFrom("events as e")
      .where("e.run_id", "=", this.runId)
      .select([
        "e.type",
        "e.at",
        // The event just before: where a killed session ended (a seek on the primary key, not a scan).
        (eb) =>
          eb
            .selectFrom("events as p")
            .select("p.at")
            .whereRef("p.run_id", "=", "e.run_id")
            .whereRef("p.seq", "<", "e.seq")
            .orderBy("p.seq", "desc")
            .limit(1)
            .as("previousAt"),
      ])
      .where("e.type", "in", ["run_started", "run_resumed", "run_stopped"])
      .orderBy("e.seq")
      .execute();
    return activeSecondsOf(rows, now);
  }

  private async spendByModel(db: Db): Promise<ModelSpend[]> {
    const rows = await db
      .selectFrom("model_calls")
      .where("run_id", "=", this.runId)
      .select([
        "model",
        sql<number>`count(*)`.as("calls"),
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
      inputTokens: Number(r.input),
      outputTokens: Number(r.output),
      costUsd: Number(r.cost),
      failed: Number(r.failed),
      empty: Number(r.empty),
      truncated: Number(r.truncated),
      unknown: Number(r.unknown),
    }));
  }

  private async spendBy(db: Db, column: "role"): Promise<RoleSpend[]> {
    const rows = await db
      .selectFrom("model_calls")
      .where("run_id", "=", this.runId)
      .select([
        column,
        sql<number>`count(*)`.as("calls"),
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
      inputTokens: Number(r.input),
      outputTokens: Number(r.output),
      costUsd: Number(r.cost),
    }));
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
