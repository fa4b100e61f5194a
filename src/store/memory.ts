import type { RunEvent, RunEventType, StoredEvent } from "../core/events.ts";
import type { RngState } from "../core/rng.ts";
import type { Candidate, Evaluation, FailedAttempt, ModelCall, Program, Usage } from "../core/types.ts";
import { spendByModel, spendByRole } from "./memory-spend.ts";
import { activeSecondsOf, failureReason, mergeBySeq, noiseSummary, settledOf } from "./projection.ts";
import type {
  HistoryEntry,
  LedgerEntry,
  ProposalOutcome,
  RunSummary,
  Store,
} from "./store.ts";
import { readEvent } from "./upgrade.ts";

interface CandidateRow {
  id: string;
  iteration: number;
  parentId: string | null;
  tag: string;
  state: "proposed" | "rejected" | "screened" | "evaluated";
  model: string;
  code: string | null;
  diff: string;
  /** Its proposal's model dollars (candidate_proposed usage). */
  costUsd: number;
  reason: string | null;
  evaluation: string | null;
  evalStatus: string | null;
  rng: RngState;
  settledSeq: number | null;
}

interface ProgramRow {
  seq: number;
  data: string;
  score: number;
  testScore: number | null;
  testEvaluation: string | null;
}

/**
 * A store that keeps the event log and its projections in memory: for tests
 * and throwaway runs. It answers every query exactly as the SQLite store does
 * (test/store-contract.test.ts); events and programs are kept as JSON, so what
 * a reader gets back is a copy, as from a database.
 */
export class MemoryStore implements Store {
  private readonly log: { seq: number; at: number; type: string; data: string }[] = [];
  private readonly candidates = new Map<string, CandidateRow>();
  private readonly programRows = new Map<string, ProgramRow>();
  private readonly calls: (LedgerEntry & { json: string })[] = [];
  private readonly evaluations = new Map<string, string>();
  private seq = 0;
  private closed = false;

  constructor(private readonly clock: () => number = Date.now) {}

  async append(events: RunEvent[]): Promise<void> {
    this.check();
    if (events.length === 0) return;
    // All or nothing: refuse the batch before touching anything, as a failed transaction would.
    const newCandidates = new Set<string>();
    const newPrograms = new Set<string>();
    for (const e of events) {
      if (e.type === "candidate_proposed") {
        if (this.candidates.has(e.candidateId) || newCandidates.has(e.candidateId)) {
          throw new Error(`MemoryStore: candidate ${e.candidateId} was already proposed`);
        }
        newCandidates.add(e.candidateId);
      } else if (e.type === "program_inserted") {
        if (this.programRows.has(e.program.id) || newPrograms.has(e.program.id)) {
          throw new Error(`MemoryStore: program ${e.program.id} was already inserted`);
        }
        newPrograms.add(e.program.id);
      }
    }
    const at = this.clock();
    for (const e of events) {
      const seq = ++this.seq;
      this.log.push({ seq, at, type: e.type, data: JSON.stringify(e) });
      this.project(e, at, seq);
    }
  }

  async events(afterSeq = 0, limit = 10_000, types?: readonly RunEventType[]): Promise<StoredEvent[]> {
    this.check();
    return this.log
      .filter((r) => r.seq > afterSeq && (!types || types.includes(r.type as RunEventType)))
      .slice(0, limit)
      .map((r) => ({ ...readEvent(r.data), seq: r.seq, at: r.at }));
  }

  async programs(): Promise<Program[]> {
    this.check();
    return this.rankedBySeq().map((r) => JSON.parse(r.data) as Program);
  }

  async history(afterSeq = 0): Promise<HistoryEntry[]> {
    this.check();
    const settled = [...this.candidates.values()]
      .filter((c) => c.settledSeq !== null && c.settledSeq > afterSeq)
      .sort((a, b) => (a.settledSeq as number) - (b.settledSeq as number))
      .map(
        (c): HistoryEntry => ({
          seq: c.settledSeq as number,
          settled: settledOf(
            {
              id: c.id,
              iteration: c.iteration,
              parentId: c.parentId ?? "",
              tag: c.tag,
              code: c.code,
              diff: c.diff,
              model: c.model,
              costUsd: c.costUsd,
            },
            c.state,
            c.reason,
            c.evaluation,
            this.programRows.get(c.id)?.data ?? null,
          ),
        }),
      );
    const own = this.log.flatMap((r): HistoryEntry[] => {
      if (r.type !== "strategy_event" || r.seq <= afterSeq) return [];
      const e = readEvent(r.data) as RunEvent & { type: "strategy_event" };
      return [{ seq: r.seq, strategyEvent: { strategy: e.strategy, kind: e.kind, data: e.data } }];
    });
    return mergeBySeq(settled, own);
  }

  async program(id: string): Promise<Program | undefined> {
    this.check();
    const row = this.programRows.get(id);
    return row ? (JSON.parse(row.data) as Program) : undefined;
  }

  async best() {
    this.check();
    const row = this.bestRow((r) => this.candidates.has((JSON.parse(r.data) as Program).id));
    if (!row) return undefined;
    const program = JSON.parse(row.data) as Program;
    return {
      program,
      evaluation: JSON.parse(this.candidates.get(program.id)?.evaluation ?? "null") as Evaluation,
      test: row.testEvaluation ? (JSON.parse(row.testEvaluation) as Evaluation) : null,
    };
  }

  async pendingCandidates(): Promise<Candidate[]> {
    this.check();
    return this.byIteration()
      .filter((c) => c.state === "proposed" && c.code !== null)
      .map((c) => ({
        id: c.id,
        iteration: c.iteration,
        parentId: c.parentId ?? "",
        tag: c.tag,
        code: c.code ?? "",
        diff: c.diff,
        model: c.model,
        costUsd: c.costUsd,
      }));
  }

  async recentFailures(parentId: string, limit: number): Promise<FailedAttempt[]> {
    this.check();
    return this.byIteration()
      .reverse()
      .filter(
        (c) =>
          c.parentId === parentId &&
          (c.state === "rejected" ||
            c.state === "screened" ||
            (c.state === "evaluated" && c.evalStatus !== "ok")),
      )
      .slice(0, limit)
      .map((c) => {
        const evaluation = c.evaluation ? (JSON.parse(c.evaluation) as Evaluation) : undefined;
        return { candidateId: c.id, reason: failureReason(c.reason, evaluation), diff: c.diff };
      });
  }

  async startConfig(): Promise<unknown | undefined> {
    this.check();
    const row = this.log.find((r) => r.type === "run_started");
    return row ? (JSON.parse(row.data) as { config: unknown }).config : undefined;
  }

  async lastRngState(): Promise<RngState | undefined> {
    this.check();
    const last = this.byIteration().at(-1);
    return last ? ([...last.rng] as RngState) : undefined;
  }

  async totalUsage(): Promise<Usage> {
    this.check();
    return this.calls.reduce(
      (u, c) => ({
        inputTokens: u.inputTokens + c.usage.inputTokens,
        outputTokens: u.outputTokens + c.usage.outputTokens,
        costUsd: u.costUsd + c.usage.costUsd,
      }),
      { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    );
  }

  async ledger(): Promise<LedgerEntry[]> {
    this.check();
    return this.calls.map(({ json: _, ...entry }) => ({ ...entry, usage: { ...entry.usage } }));
  }

  async modelCalls(): Promise<ModelCall[]> {
    this.check();
    return this.calls.map((c) => {
      const { type: _, ...call } = readEvent(c.json) as RunEvent & { type: "model_called" };
      return call;
    });
  }

  async outcomes(): Promise<ProposalOutcome[]> {
    this.check();
    return this.byIteration()
      .filter((c) => c.iteration > 0 && c.state !== "proposed")
      .map((c) => {
        const score = this.programRows.get(c.id)?.score;
        const parentScore = c.parentId === null ? undefined : this.programRows.get(c.parentId)?.score;
        return {
          candidateId: c.id,
          model: c.model,
          gain: score !== undefined && parentScore !== undefined ? Math.max(0, score - parentScore) : 0,
        };
      });
  }

  async summary(): Promise<RunSummary> {
    this.check();
    const lifecycle = this.lifecycle();
    const first = lifecycle[0];
    const end = lifecycle.at(-1);
    const stopped = end?.type === "run_stopped" ? (JSON.parse(end.data) as { reason: string }) : null;
    const rows = [...this.candidates.values()];
    const count = (pred: (c: CandidateRow) => boolean) => rows.filter(pred).length;
    const spend = spendByModel(this.calls);
    const best = this.bestRow(() => true);
    const bestProgram = best ? (JSON.parse(best.data) as Program) : undefined;
    return {
      taskId: first ? (JSON.parse(first.data) as { taskId: string }).taskId : null,
      state: !end ? "new" : stopped ? "stopped" : "running",
      stopReason: stopped?.reason ?? null,
      startedAt: first?.at ?? null,
      lastEventAt: this.log.reduce<number | null>((m, r) => (m === null || r.at > m ? r.at : m), null),
      iterations: rows.reduce((m, c) => Math.max(m, c.iteration), 0),
      evaluations: count((c) => c.state === "evaluated"),
      programs: this.programRows.size,
      rejectedEdits: count((c) => c.state === "rejected"),
      screened: count((c) => c.state === "screened"),
      failedEvaluations: count((c) => c.state === "evaluated" && c.evalStatus !== "ok"),
      costUsd: spend.reduce((a, s) => a + s.costUsd, 0),
      spend,
      spendByRole: spendByRole(this.calls),
      best:
        best && bestProgram
          ? {
              id: bestProgram.id,
              score: best.score,
              testScore: best.testScore,
              spread: bestProgram.noise?.spread ?? null,
            }
          : null,
      noise: noiseSummary(
        [...this.programRows.values()]
          .filter((r) => r.data.includes('"noise":'))
          .map((r) => JSON.parse(r.data) as Program),
      ),
    };
  }

  async evaluation(key: string): Promise<Evaluation | undefined> {
    this.check();
    const json = this.evaluations.get(key);
    return json === undefined ? undefined : (JSON.parse(json) as Evaluation);
  }

  async saveEvaluation(key: string, evaluation: Evaluation): Promise<void> {
    this.check();
    if (!this.evaluations.has(key)) this.evaluations.set(key, JSON.stringify(evaluation));
  }

  async activeSeconds(now = this.clock()): Promise<number> {
    this.check();
    return activeSecondsOf(this.lifecycle(), now);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  // ---- projections ----

  private project(e: RunEvent, at: number, seq: number): void {
    switch (e.type) {
      case "model_called":
        // The ledger numbers its own rows, as its table does.
        this.calls.push({
          seq: this.calls.length + 1,
          at,
          candidateId: e.candidateId,
          iteration: e.iteration,
          role: e.role,
          model: e.model,
          usage: { ...e.usage },
          durationMs: Math.round(e.durationMs),
          outcome: e.outcome,
          ...(e.retried ? { retried: true as const } : {}),
          json: JSON.stringify(e),
        });
        return;
      case "candidate_proposed":
        this.candidates.set(e.candidateId, {
          id: e.candidateId,
          iteration: e.iteration,
          parentId: e.parentId,
          tag: e.tag,
          state: "proposed",
          model: e.model,
          code: e.code,
          diff: e.diff,
          costUsd: e.usage.costUsd,
          reason: null,
          evaluation: null,
          evalStatus: null,
          rng: [...e.rng] as RngState,
          settledSeq: null,
        });
        return;
      case "edit_rejected":
      case "candidate_screened": {
        const c = this.candidates.get(e.candidateId);
        if (!c) return;
        c.state = e.type === "edit_rejected" ? "rejected" : "screened";
        c.reason = e.reason;
        c.settledSeq = seq;
        return;
      }
      case "evaluation_finished": {
        const c = this.candidates.get(e.candidateId);
        if (!c) return;
        c.state = "evaluated";
        c.evalStatus = e.evaluation.status;
        c.evaluation = JSON.stringify(e.evaluation);
        c.settledSeq = seq;
        return;
      }
      case "program_inserted":
        this.programRows.set(e.program.id, {
          seq,
          data: JSON.stringify(e.program),
          score: e.program.score,
          testScore: null,
          testEvaluation: null,
        });
        return;
      case "test_evaluated": {
        const row = this.programRows.get(e.programId);
        if (!row) return;
        row.testScore = e.evaluation.score;
        row.testEvaluation = JSON.stringify(e.evaluation);
        return;
      }
      default:
        return;
    }
  }

  private check(): void {
    if (this.closed) throw new Error("MemoryStore: the store is closed");
  }

  private byIteration(): CandidateRow[] {
    return [...this.candidates.values()].sort((a, b) => a.iteration - b.iteration);
  }

  private rankedBySeq(): ProgramRow[] {
    return [...this.programRows.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Highest score, the earliest inserted on ties. */
  private bestRow(keep: (row: ProgramRow) => boolean): ProgramRow | undefined {
    let best: ProgramRow | undefined;
    for (const r of this.rankedBySeq()) if (keep(r) && (!best || r.score > best.score)) best = r;
    return best;
  }

  /** The lifecycle events, each with the time of the event stored just before it. */
  private lifecycle() {
    return this.log.flatMap((r, i) =>
      r.type === "run_started" || r.type === "run_resumed" || r.type === "run_stopped"
        ? [{ ...r, previousAt: this.log[i - 1]?.at ?? null }]
        : [],
    );
  }
}
