import { join } from "node:path";
import type { StoredEvent } from "../core/events.ts";
import type { Evaluation, Program } from "../core/types.ts";
import { livePid, runFiles } from "../engine/run-dir.ts";
import { openSqliteStore } from "../store/sqlite.ts";
import type { Store } from "../store/store.ts";
import type { CatalogRun } from "./catalog.ts";
import type { EvaluationDetail, ProgramPayload, RunEntry, RunPayload, RunState } from "./payloads.ts";
import { RunView } from "./run-view.ts";
import { StrategyPicture, strategyName } from "./strategy-picture.ts";

/** All the server reads of a store: its event log, and the programs to rebuild the strategy's picture. */
export type RunReader = Pick<Store, "events" | "programs" | "program" | "close">;

/** Events read per query while catching up, so a long run is read in slices. */
const PAGE = 2000;

/**
 * One run as the dashboard follows it: a read-only store, the view folded
 * from its events, and the pages listening for changes.
 */
export class LiveRun {
  readonly view = new RunView();
  private readonly listeners = new Set<() => void>();
  private lastState: RunState = "new";
  private picture: StrategyPicture | null = null;

  private constructor(
    readonly entry: CatalogRun,
    private readonly store: RunReader,
  ) {}

  static async open(entry: CatalogRun): Promise<LiveRun> {
    return new LiveRun(entry, await openSqliteStore(join(entry.dir, runFiles.database), { readonly: true }));
  }

  /** For tests and other stores: follow any reader. */
  static over(entry: CatalogRun, store: RunReader): LiveRun {
    return new LiveRun(entry, store);
  }

  /**
   * Reads the events stored since the last poll (all of them the first time)
   * and tells listeners when anything changed, including the run's liveness.
   */
  async poll(): Promise<boolean> {
    let advanced = false;
    for (;;) {
      const events = await this.store.events(this.view.seq, PAGE);
      for (const e of events) this.view.apply(e);
      if (events.length > 0) advanced = true;
      if (events.length < PAGE) break;
    }
    const state = this.state();
    const changed = advanced || state !== this.lastState;
    this.lastState = state;
    if (changed) for (const listener of this.listeners) listener();
    return changed;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  state(): RunState {
    const open = this.view.sessions.at(-1);
    if (!open) return "new";
    if (open.stoppedAt !== null) return "stopped";
    return livePid(this.entry.dir) === null ? "interrupted" : "running";
  }

  summary(now = Date.now()): RunEntry {
    const view = this.view;
    let evaluations = 0;
    let programs = 0;
    let iterations = 0;
    for (const row of view.candidates.values()) {
      if (row.state === "evaluated") evaluations++;
      if (row.score !== null) programs++;
      iterations = Math.max(iterations, row.iteration);
    }
    const state = this.state();
    const lastEventAt = view.lastAt;
    let active = 0;
    for (const s of view.sessions) {
      // A killed session ends, as far as anyone can tell, at its last stored event.
      const end = s.stoppedAt ?? (state === "running" ? now : (lastEventAt ?? s.startedAt));
      active += Math.max(0, end - s.startedAt) / 1000;
    }
    const best = view.best();
    return {
      id: this.entry.id,
      name: this.entry.name,
      task: view.taskId,
      strategy: strategyName(view.config),
      state,
      stopReason: view.sessions.at(-1)?.reason ?? null,
      iterations,
      evaluations,
      programs,
      best: best ? { id: best.id, score: best.score!, testScore: best.testScore } : null,
      costUsd: view.calls.reduce((sum, c) => sum + c.costUsd, 0),
      activeSeconds: active,
      evaluationsPerHour: active > 0 ? evaluations / (active / 3600) : 0,
      lastEventAt,
    };
  }

  /** The run page's data, or only what changed after `since`. */
  payload(since = 0): RunPayload {
    const { from, calls } = this.view.callsSince(since);
    const state = this.state();
    return {
      run: this.summary(),
      seq: this.view.seq,
      since,
      config: since === 0 ? this.view.config : null,
      candidates: this.view.candidatesSince(since),
      calls,
      callsFrom: from,
      sessions: this.view.sessionsRows(),
      steering: { available: state === "running", paused: this.view.paused, hints: this.view.hintRows() },
    };
  }

  /** The program page: the candidate's own events, fetched by the seqs the view kept. */
  async program(id: string): Promise<ProgramPayload | undefined> {
    const row = this.view.candidates.get(id);
    const seqs = this.view.seqs.get(id);
    if (!row || !seqs) return undefined;
    const [proposal, evaluation, test, ...calls] = await Promise.all(
      [seqs.proposal, seqs.evaluation, seqs.test, ...seqs.calls].map((seq) => this.eventAt(seq)),
    );
    const proposed = proposal?.type === "candidate_proposed" ? proposal : undefined;
    const { changedAt: _, ...candidate } = row;
    return {
      runId: this.entry.id,
      candidate,
      code: proposed?.code ?? null,
      diff: proposed?.diff ?? "",
      prompt: proposed?.prompt ?? "",
      reply: proposed?.reply ?? "",
      usage: proposed?.usage ?? { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      calls: calls.flatMap((e) =>
        e?.type === "model_called"
          ? [
              {
                role: e.role,
                model: e.model,
                messages: e.messages,
                reply: e.reply,
                usage: e.usage,
                outcome: e.outcome,
                ...(e.error ? { error: e.error } : {}),
                attempts: e.attempts,
                durationMs: e.durationMs,
              },
            ]
          : [],
      ),
      evaluation: evaluation?.type === "evaluation_finished" ? detail(evaluation.evaluation) : null,
      test: test?.type === "test_evaluated" ? detail(test.evaluation) : null,
      children: this.view.children.get(id) ?? [],
    };
  }

  /** The strategy's own picture of the population (its `describe()`), rebuilt from the stored programs. */
  async strategy(): Promise<unknown> {
    this.picture ??= new StrategyPicture(this.view.config);
    await this.picture.catchUp(this.view.programOrder, (ids) => this.programsById(ids));
    return this.picture.describe();
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.store.close();
  }

  private async eventAt(seq: number | null): Promise<StoredEvent | undefined> {
    if (seq === null) return undefined;
    const [event] = await this.store.events(seq - 1, 1);
    return event?.seq === seq ? event : undefined;
  }

  /** A few programs one by one; many (the first picture of a long run) in one read of them all. */
  private async programsById(ids: string[]): Promise<Program[]> {
    if (ids.length <= 50) {
      const programs = await Promise.all(ids.map((id) => this.store.program(id)));
      return programs.filter((p) => p !== undefined);
    }
    const wanted = new Set(ids);
    return (await this.store.programs()).filter((p) => wanted.has(p.id));
  }
}

function detail(e: Evaluation): EvaluationDetail {
  return {
    status: e.status,
    score: e.score,
    metrics: e.metrics,
    workloads: e.workloads,
    feedback: e.feedback,
    ...(e.error ? { error: e.error } : {}),
    durationMs: e.durationMs,
  };
}
