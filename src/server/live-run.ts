import { statSync } from "node:fs";
import { join } from "node:path";
import { driftAlarmIn, driftOf } from "../audit/drift.ts";
import type { StoredEvent } from "../core/events.ts";
import type { Evaluation } from "../core/types.ts";
import { livePid, runFiles } from "../engine/run-dir.ts";
import { openRunStore } from "../engine/run-store.ts";
import type { RunSummary, Store } from "../store/store.ts";
import type { CatalogRun } from "./catalog.ts";
import type {
  CallRow,
  CandidateRow,
  EvaluationDetail,
  ProgramPayload,
  RunEntry,
  RunPayload,
  RunState,
  SteerRequest,
  StrategyDescription,
} from "./payloads.ts";
import { toRows } from "./rows.ts";
import { SteerRefused, steeringEvent } from "./steer.ts";
import { RunView } from "./run-view.ts";
import { StrategyPicture, strategyName } from "./strategy-picture.ts";

/**
 * All the server reads of a store: its event log (the view is folded from it),
 * the summary and start config (a run nobody has opened is listed from these
 * alone), and programs (to rebuild the strategy's picture).
 */
export type RunReader = Pick<
  Store,
  "events" | "programs" | "program" | "history" | "summary" | "activeSeconds" | "startConfig" | "close"
>;

/** Events read per query while catching up, so a long run is read in slices. */
const PAGE = 2000;

const CANDIDATE_FIELDS: (keyof CandidateRow & string)[] = [
  "id",
  "iteration",
  "parentId",
  "tag",
  "model",
  "state",
  "status",
  "score",
  "spread",
  "testScore",
  "reason",
  "generation",
  "costUsd",
  "proposedAt",
  "settledAt",
  "vetoed",
];
const CALL_FIELDS: (keyof CallRow & string)[] = [
  "at",
  "iteration",
  "role",
  "model",
  "usage",
  "outcome",
  "retried",
];

/**
 * One run as the dashboard follows it. A run is listed from its store's
 * summary until someone opens it or it is live; from then on its whole event
 * log is folded into a view (once), and each poll reads only the new events.
 */
export class LiveRun {
  readonly view = new RunView();
  private readonly listeners = new Set<() => void>();
  private loading: Promise<void> | null = null;
  private listed: RunEntry;
  /** Size and time of the database files when the run was last listed from its summary. */
  private stamp = "";
  private picture: StrategyPicture | null = null;
  /** Reads of the event log, one at a time, so no event is folded twice. */
  private reading: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly catalog: CatalogRun,
    private readonly store: RunReader,
    /** The one way the dashboard writes: a steering event, on a connection of its own. */
    private readonly openWriter: () => Promise<Pick<Store, "append" | "close">>,
  ) {
    this.listed = { ...emptyEntry, id: catalog.id, name: catalog.name };
  }

  /** `store`: the PostgreSQL database of `--store`; default the run's own (its config's, else run.db). */
  static async open(entry: CatalogRun, store?: string): Promise<LiveRun> {
    const where = store ? { store } : {};
    return new LiveRun(entry, await openRunStore(entry.dir, { ...where, readonly: true }), () =>
      openRunStore(entry.dir, where),
    );
  }

  /** Loaded (opened, or live): its event log is read at every poll. */
  get isFollowed(): boolean {
    return this.loading !== null;
  }

  /** The runs page's line for this run. */
  entry(): RunEntry {
    return this.listed;
  }

  /**
   * Brings the run up to date; true when anything a page shows changed. A
   * loaded run reads its new events; any other is listed again from its
   * summary when its files changed, and loaded once it turns out to be live.
   */
  async poll(): Promise<boolean> {
    if (this.loading) {
      await this.loading;
      return this.advance();
    }
    const stamp = fileStamp(this.catalog.dir);
    if (stamp === this.stamp && this.listed.state !== "running") return false;
    this.stamp = stamp;
    const summary = await this.store.summary();
    if (summary.state === "running" && livePid(this.catalog.dir) !== null) {
      await this.load();
      return true;
    }
    const before = JSON.stringify(this.listed);
    this.listed = await this.entryFromSummary(summary);
    return JSON.stringify(this.listed) !== before;
  }

  /** Folds the whole event log into the view, once; later calls wait for the same read. */
  load(): Promise<void> {
    this.loading ??= this.advance().then(() => {});
    return this.loading;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The run page's data, or only what changed after `since` (the run must be loaded). */
  payload(since = 0): RunPayload {
    const { from, calls } = this.view.callsSince(since);
    return {
      run: this.listed,
      seq: this.view.seq,
      since,
      config: since === 0 ? this.view.config : null,
      candidates: toRows(this.view.candidatesSince(since), CANDIDATE_FIELDS),
      calls: toRows(calls, CALL_FIELDS),
      callsFrom: from,
      sessions: this.view.sessionsRows(),
      steering: {
        available: this.listed.state === "running",
        paused: this.view.paused,
        hints: this.view.hintRows(),
      },
    };
  }

  /** The program page: the candidate's own events, fetched by the seqs the view kept. */
  async program(id: string): Promise<ProgramPayload | undefined> {
    await this.load();
    const row = this.view.candidates.get(id);
    const seqs = this.view.seqs.get(id);
    if (!row || !seqs) return undefined;
    const [proposal, evaluation, test, ...calls] = await Promise.all(
      [seqs.proposal, seqs.evaluation, seqs.test, ...seqs.calls].map((seq) => this.eventAt(seq)),
    );
    const proposed = proposal?.type === "candidate_proposed" ? proposal : undefined;
    const { changedAt: _, ...candidate } = row;
    return {
      runId: this.catalog.id,
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
                attempt: e.attempt,
                ...(e.retried ? { retried: true as const } : {}),
                durationMs: e.durationMs,
              },
            ]
          : [],
      ),
      evaluation: evaluation?.type === "evaluation_finished" ? detail(evaluation.evaluation) : null,
      test: test?.type === "test_evaluated" ? detail(test.evaluation) : null,
      children: this.view.children.get(id) ?? [],
      steerable: this.listed.state === "running",
    };
  }

  /** The strategy's own picture of the population (its `describe()`), rebuilt from the stored programs. */
  async strategy(): Promise<StrategyDescription> {
    await this.load();
    this.picture ??= new StrategyPicture(this.view.config);
    await this.picture.catchUp((afterSeq) => this.store.history(afterSeq));
    return this.picture.describe();
  }

  /**
   * Appends the one steering event a request becomes, through a store
   * connection opened for this write alone; the live engine reads it before
   * its next selection. Refused unless the run is live.
   */
  async steer(request: SteerRequest): Promise<{ seq: number }> {
    await this.load();
    await this.advance();
    if (this.listed.state !== "running") {
      throw new SteerRefused(
        `the run is ${this.listed.state}: steering is offered only while its process runs`,
      );
    }
    const event = steeringEvent(request, this.view);
    if (event) {
      const writer = await this.openWriter();
      try {
        await writer.append([event]);
      } finally {
        await writer.close();
      }
      await this.advance();
    }
    return { seq: this.view.seq };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.loading?.catch(() => {});
    await this.store.close();
  }

  /** Reads the events stored since the view's seq; tells listeners when anything changed, liveness included. */
  private advance(): Promise<boolean> {
    const next = this.reading.then(() => this.read());
    this.reading = next.catch(() => {});
    return next;
  }

  private async read(): Promise<boolean> {
    let advanced = false;
    for (;;) {
      const events = await this.store.events(this.view.seq, PAGE);
      for (const e of events) this.view.apply(e);
      if (events.length > 0) advanced = true;
      if (events.length < PAGE) break;
    }
    const state = this.state();
    const changed = advanced || state !== this.listed.state;
    if (changed) {
      this.listed = this.entryFromView(state);
      for (const listener of this.listeners) listener();
    }
    return changed;
  }

  /** "running" only while the process holding the run is alive; a dead holder means it was killed. */
  private state(): RunState {
    const open = this.view.sessions.at(-1);
    if (!open) return "new";
    if (open.stoppedAt !== null) return "stopped";
    return livePid(this.catalog.dir) === null ? "interrupted" : "running";
  }

  private entryFromView(state: RunState, now = Date.now()): RunEntry {
    const view = this.view;
    let evaluations = 0;
    let programs = 0;
    let iterations = 0;
    for (const row of view.candidates.values()) {
      if (row.state === "evaluated") evaluations++;
      if (row.score !== null) programs++;
      iterations = Math.max(iterations, row.iteration);
    }
    const active = view.activeSeconds(state === "running", now);
    const best = view.best();
    return {
      id: this.catalog.id,
      name: this.catalog.name,
      task: view.taskId,
      strategy: strategyName(view.config),
      state,
      stopReason: view.sessions.at(-1)?.reason ?? null,
      iterations,
      evaluations,
      programs,
      best: best ? { id: best.id, score: best.score!, testScore: best.testScore, spread: best.spread } : null,
      drift: best
        ? driftOf({ score: best.score!, testScore: best.testScore }, driftAlarmIn(view.config))
        : null,
      costUsd: view.calls.reduce((sum, c) => sum + c.usage.costUsd, 0),
      activeSeconds: active,
      evaluationsPerHour: active > 0 ? evaluations / (active / 3600) : 0,
      lastEventAt: view.lastAt,
    };
  }

  private async entryFromSummary(summary: RunSummary): Promise<RunEntry> {
    const state: RunState = summary.state === "running" ? "interrupted" : summary.state;
    const config = await this.store.startConfig();
    // A killed run's clock stops at its last event, not now.
    const active = await this.store.activeSeconds(
      state === "interrupted" ? (summary.lastEventAt ?? undefined) : undefined,
    );
    return {
      id: this.catalog.id,
      name: this.catalog.name,
      task: summary.taskId,
      strategy: strategyName(config),
      state,
      stopReason: summary.stopReason,
      iterations: summary.iterations,
      evaluations: summary.evaluations,
      programs: summary.programs,
      best: summary.best,
      drift: driftOf(summary.best, driftAlarmIn(config)),
      costUsd: summary.costUsd,
      activeSeconds: active,
      evaluationsPerHour: active > 0 ? summary.evaluations / (active / 3600) : 0,
      lastEventAt: summary.lastEventAt,
    };
  }

  private async eventAt(seq: number | null): Promise<StoredEvent | undefined> {
    if (seq === null) return undefined;
    const [event] = await this.store.events(seq - 1, 1);
    return event?.seq === seq ? event : undefined;
  }

  /** A few programs one by one; many (the first picture of a long run) in one read of them all. */
}

const emptyEntry: Omit<RunEntry, "id" | "name"> = {
  task: null,
  strategy: "islands",
  state: "new",
  stopReason: null,
  iterations: 0,
  evaluations: 0,
  programs: 0,
  best: null,
  drift: null,
  costUsd: 0,
  activeSeconds: 0,
  evaluationsPerHour: 0,
  lastEventAt: null,
};

/** Changes whenever the run's database files do (a write lands in the WAL first). */
function fileStamp(dir: string): string {
  return [runFiles.database, `${runFiles.database}-wal`]
    .map((name) => {
      try {
        const s = statSync(join(dir, name));
        return `${s.size}:${s.mtimeMs}`;
      } catch {
        return "-";
      }
    })
    .join("|");
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
