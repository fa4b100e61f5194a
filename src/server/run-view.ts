import type { StoredEvent } from "../core/events.ts";
import type { CallRow, CandidateRow, HintRow, SessionRow } from "./payloads.ts";

/** Where a candidate's details live in the event log, so the program page can fetch just those events. */
export interface CandidateSeqs {
  proposal: number;
  evaluation: number | null;
  test: number | null;
  calls: number[];
}

/**
 * The dashboard's picture of one run: a fold over its events, in seq order,
 * keeping only what the pages list (no code, prompts or replies: those are
 * fetched by seq when a program page asks). Every row remembers the seq that
 * last changed it, so a page that has seen up to seq S is sent only what
 * changed after S.
 */
export class RunView {
  seq = 0;
  /** When the last event was stored. */
  lastAt: number | null = null;
  config: unknown = null;
  taskId: string | null = null;
  readonly candidates = new Map<string, CandidateRow & { changedAt: number }>();
  readonly seqs = new Map<string, CandidateSeqs>();
  readonly calls: (CallRow & { seq: number })[] = [];
  readonly sessions: (SessionRow & { changedAt: number })[] = [];
  /** Where each killed session ended (its last event), by its index in `sessions`. */
  private readonly killedAt = new Map<number, number>();
  readonly children = new Map<string, string[]>();
  /** Every hint ever added, withdrawn ones included. */
  readonly hints = new Map<string, HintRow>();
  paused = false;
  /** Candidates whose cost so far came from their proposal, not yet from their model calls. */
  private readonly costFromProposal = new Set<string>();

  apply(e: StoredEvent): void {
    const before = this.lastAt;
    this.seq = e.seq;
    this.lastAt = e.at;
    // A session that was killed ends at the last event stored before the next one began (as the store counts it).
    const open = this.sessions.at(-1);
    if ((e.type === "run_started" || e.type === "run_resumed") && open && open.stoppedAt === null) {
      this.killedAt.set(this.sessions.length - 1, before ?? open.startedAt);
    }
    switch (e.type) {
      case "run_started":
        this.config = e.config;
        this.taskId = e.taskId;
        this.openSession(e.at, e.seq);
        return;
      case "run_resumed":
        this.openSession(e.at, e.seq);
        // A pause lasts as long as the session that was paused.
        this.paused = false;
        return;
      case "run_stopped": {
        const open = this.sessions.at(-1);
        if (open && open.stoppedAt === null) {
          Object.assign(open, {
            stoppedAt: e.at,
            reason: e.reason,
            detail: e.detail ?? null,
            changedAt: e.seq,
          });
        }
        return;
      }
      case "candidate_proposed": {
        const row: CandidateRow & { changedAt: number } = {
          id: e.candidateId,
          iteration: e.iteration,
          parentId: e.parentId,
          tag: e.tag,
          model: e.model,
          state: "proposed",
          status: null,
          score: null,
          spread: null,
          testScore: null,
          reason: null,
          generation: null,
          costUsd: e.usage.costUsd,
          proposedAt: e.at,
          settledAt: null,
          vetoed: false,
          changedAt: e.seq,
        };
        this.candidates.set(row.id, row);
        this.costFromProposal.add(row.id);
        this.seqs.set(row.id, { proposal: e.seq, evaluation: null, test: null, calls: [] });
        if (e.parentId) {
          const siblings = this.children.get(e.parentId) ?? [];
          siblings.push(row.id);
          this.children.set(e.parentId, siblings);
        }
        return;
      }
      case "model_called": {
        this.calls.push({
          seq: e.seq,
          at: e.at,
          iteration: e.iteration,
          role: e.role,
          model: e.model,
          usage: e.usage,
          outcome: e.outcome,
          ...(e.retried ? { retried: true as const } : {}),
        });
        const row = e.candidateId ? this.candidates.get(e.candidateId) : undefined;
        if (row && e.candidateId) {
          // The ledger is the truth for dollars; the proposal's own usage is only a fallback for runs without it.
          if (this.costFromProposal.delete(e.candidateId)) row.costUsd = 0;
          row.costUsd += e.usage.costUsd;
          row.changedAt = e.seq;
          this.seqs.get(e.candidateId)?.calls.push(e.seq);
        }
        return;
      }
      case "edit_rejected":
        this.update(e.candidateId, e.seq, { state: "rejected", reason: e.reason, settledAt: e.at });
        return;
      case "candidate_screened":
        this.update(e.candidateId, e.seq, { state: "screened", reason: e.reason, settledAt: e.at });
        return;
      case "evaluation_finished": {
        const ev = e.evaluation;
        const failed = ev.status !== "ok";
        this.update(e.candidateId, e.seq, {
          state: "evaluated",
          status: ev.status,
          settledAt: e.at,
          reason: failed ? (ev.error ?? ev.feedback.split("\n")[0] ?? ev.status) : null,
        });
        const seqs = this.seqs.get(e.candidateId);
        if (seqs) seqs.evaluation = e.seq;
        return;
      }
      case "program_inserted":
        this.update(e.program.id, e.seq, {
          score: e.program.score,
          spread: e.program.noise?.spread ?? null,
          generation: e.program.generation,
        });
        return;
      case "test_evaluated": {
        this.update(e.programId, e.seq, { testScore: e.evaluation.score });
        const seqs = this.seqs.get(e.programId);
        if (seqs) seqs.test = e.seq;
        return;
      }
      case "run_paused":
      case "run_continued":
        this.paused = e.type === "run_paused";
        return;
      case "hint_added":
        this.hints.set(e.hintId, { id: e.hintId, text: e.text, addedAt: e.at, withdrawnAt: null });
        return;
      case "hint_withdrawn": {
        const hint = this.hints.get(e.hintId);
        if (hint && hint.withdrawnAt === null) hint.withdrawnAt = e.at;
        return;
      }
      case "program_vetoed":
        this.update(e.programId, e.seq, { vetoed: true });
        return;
      default:
        // Events this view does not show (strategy events of later strategies) only move the seq.
        return;
    }
  }

  /** Rows changed after `since`, in iteration order (each row also carries the seq that last changed it). */
  candidatesSince(since: number): CandidateRow[] {
    const rows: CandidateRow[] = [];
    for (const row of this.candidates.values()) if (row.changedAt > since) rows.push(row);
    return rows.sort((a, b) => a.iteration - b.iteration);
  }

  /** Index of the first call stored after `since`, and the calls from there. */
  callsSince(since: number): { from: number; calls: CallRow[] } {
    let from = this.calls.length;
    while (from > 0 && this.calls[from - 1]!.seq > since) from--;
    return { from, calls: this.calls.slice(from).map(({ seq: _, ...call }) => call) };
  }

  /**
   * Seconds the run was active over its sessions: each to its stop; a killed
   * one to its last event; the last one, if still open, to `now` while the
   * run is live and to its last event once it is not.
   */
  activeSeconds(live: boolean, now: number): number {
    let active = 0;
    this.sessions.forEach((s, i) => {
      const end = s.stoppedAt ?? this.killedAt.get(i) ?? (live ? now : (this.lastAt ?? s.startedAt));
      active += Math.max(0, end - s.startedAt) / 1000;
    });
    return active;
  }

  sessionsRows(): SessionRow[] {
    return this.sessions.map(({ changedAt: _, ...s }) => s);
  }

  hintRows(): HintRow[] {
    return [...this.hints.values()].map((h) => ({ ...h }));
  }

  /** The best program by train score (earliest on ties, as the store orders them). */
  best(): CandidateRow | undefined {
    let best: CandidateRow | undefined;
    for (const row of this.candidates.values()) {
      if (row.score !== null && (!best || row.score > best.score!)) best = row;
    }
    return best;
  }

  private openSession(at: number, seq: number): void {
    this.sessions.push({ startedAt: at, stoppedAt: null, reason: null, detail: null, changedAt: seq });
  }

  private update(id: string, seq: number, patch: Partial<CandidateRow>): void {
    const row = this.candidates.get(id);
    if (!row) return;
    Object.assign(row, patch);
    row.changedAt = seq;
  }
}
