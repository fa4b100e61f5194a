import type { RunEvent, StopReason } from "../core/events.ts";
import { candidateId } from "../core/ids.ts";
import { Rng } from "../core/rng.ts";
import type { Candidate, Evaluation, ModelCall, Program, Settled, Split } from "../core/types.ts";
import { unifiedDiff } from "../edit/diff.ts";
import { LlmError } from "../llm/errors.ts";
// Not llm/index.ts: the engine has no need of the providers' SDKs.
import { Budget, Ledger } from "../llm/ledger.ts";
import { NegativeMemory } from "../search/memory.ts";
import type { Proposal, Proposer } from "../search/proposer.ts";
import type {
  Directive,
  ScreenTools,
  ScreenVerdict,
  Selection,
  Strategy,
  StrategyEvent,
} from "../search/strategy.ts";
import type { LedgerEntry, ProposalOutcome, Store } from "../store/store.ts";
import type { JobQueue } from "../queue/queue.ts";
import type { Task } from "../task/contract.ts";
import type { RunConfig } from "./config.ts";
import { Sequencer } from "./sequencer.ts";
import { chargeOpenReservations } from "./reservations.ts";
import { Steering } from "./steering.ts";
import { adaptiveTimeout } from "./time-limit.ts";

/** A model call as a learner needs it: from the ledger as stored, or live (with its error). */
export type StoredCall = Pick<LedgerEntry, "model" | "iteration" | "costUsd" | "outcome"> & {
  error?: string;
};

/**
 * Something that learns from how proposals turn out (the ensemble's bandit,
 * the resting of failing models). Its state must be a function of what is
 * stored: the engine tells it each model call and each settled proposal once
 * they are stored, and on resume tells it everything stored before going on,
 * with `live` false.
 */
export interface ProposalObserver {
  onModelCall(call: StoredCall, live: boolean): void;
  onOutcome(outcome: ProposalOutcome, live: boolean): void;
}

export interface EngineParts {
  config: RunConfig;
  task: Task;
  store: Store;
  strategy: Strategy;
  proposer: Proposer;
  /** Where evaluations run: this process's sandboxes, or workers on other machines; the engine cannot tell. */
  queue: JobQueue;
  /**
   * The run's cost ledger, with the dollar budget; the proposer's model calls
   * must go through it. Default: the proposer's own ledger if it has one, else
   * a new one with `config.budget.usd`.
   */
  ledger?: Ledger;
  /** Default: the proposer, if it is one. */
  observer?: ProposalObserver;
  /**
   * `audit.onNewBest` (src/audit/gate.ts): looks at an evaluation that would
   * make a new best and returns the one to store (invalid, with why, for a
   * program with a weakness).
   */
  gate?: { review(code: string, evaluation: Evaluation, bestScore: number): Promise<Evaluation> };
  /** Called for every event once it is stored, in store order. */
  onEvent?: (event: RunEvent) => void;
  /** Told what the user should know during the run (the evaluation time limit in force). */
  onNotice?: (line: string) => void;
  /**
   * A replay's recorded order of selections and commits (`scheduleOf`): each
   * selection then sees exactly what it saw in the recorded run.
   */
  schedule?: readonly string[] | null;
  clock?: () => number;
  /** A heartbeat is stored when nothing was for this long (on the clock); default 5 s. */
  heartbeatMs?: number;
}

export interface RunOutcome {
  reason: StopReason;
  detail?: string;
  best: Program | undefined;
}

/** How many failed children of a parent the next prompt shows. */
const FAILURES_IN_PROMPT = 3;

/** Nothing stored for this long: store a heartbeat, so a kill loses at most this much active time. */
const HEARTBEAT_MS = 5_000;

/** How often a paused run looks for the dashboard's continue. */
const STEERING_POLL_MS = 250;

/** Selections drawn again when the strategy picks a vetoed parent, before the best allowed program stands in. */
const VETO_REDRAWS = 8;

/**
 * The run loop: up to `concurrency.proposals` proposals waiting on models and
 * up to `concurrency.evaluations` evaluations in flight, one ordered writer to
 * the store. A proposal in flight is replaced as soon as it is stored,
 * whatever the others do; with `concurrency.ordered`, iteration k waits until
 * every iteration up to k − proposals has settled. Selections and commits run
 * one at a time in a recorded order (Sequencer), so any run replays exactly.
 * Everything that changes state is appended as events before it is acted
 * upon, so a run killed at any instant resumes from the store.
 *
 * Invariants (each with a test):
 * - `unsettled` holds exactly the iterations selected and not yet settled
 *   (evaluated, rejected or screened), the seed's and a resumed run's pending
 *   ones included; the ordered mode selects iteration k only when no k' ≤
 *   k − proposals is in it (`settledThrough`; test/engine-loop.test.ts,
 *   "selection window").
 * - The loop sleeps only on a promise that something will resolve: a proposal
 *   or settle ending, `stop`, or a freed evaluation slot (`startEvaluations`
 *   wakes it); so it never waits while it could start work (every engine test
 *   that finishes depends on it; drain on stop, engine-loop.test.ts).
 * - The best is tested on the held-out split one test at a time, and a best
 *   that changed during a test is tested as soon as that test ends (the
 *   chain in `testBest`), not at the next settle; a normal stop waits for the
 *   latest best's test (test/engine-invariants.test.ts).
 */
export class Engine {
  private readonly rng: Rng;
  /** Never advanced: the root that per-candidate streams (a screen's) are forked from, so they replay. */
  private readonly root: Rng;
  private trainWorkloads: Promise<string[]> | null = null;
  private readonly clock: () => number;
  private readonly programs = new Map<string, Program>();
  private writing: Promise<void> = Promise.resolve();
  /** When the last write was asked for, on the run's clock. */
  private lastWriteAt = 0;
  private stopRequest: { reason: StopReason; detail?: string } | null = null;
  private wake: () => void = () => {};
  private readonly ledger: Ledger;
  private readonly observer: ProposalObserver | undefined;
  private bestScore = -1;
  private bestIteration = 0;
  /** Proposals in a row whose every model call failed. */
  private modelFailures = 0;
  private lastEvaluatedIteration = 0;
  private testedBestId: string | null = null;
  private testRunning: Promise<void> | null = null;
  /** Iterations proposed but not yet evaluated or rejected. */
  private readonly unsettled = new Set<number>();
  /** What failed on each lineage, for the next prompts (fed with everything settled, so resume recalls the same). */
  private readonly memory = new NegativeMemory();
  /** Pause, hints and vetoes from the dashboard, read from the store before each selection. */
  private readonly steering: Steering;
  /** The order of selections and commits; replaced in run() once the stored commits are counted. */
  private sequencer = new Sequencer();
  /** Candidates stored (or being stored) and waiting for an evaluation slot. */
  private readonly queue: Candidate[] = [];
  /** Evaluations (screen included) holding a slot. */
  private evaluating = 0;
  /** Work past its model call or its evaluation slot: proposals and settlements being stored. */
  private readonly settling = new Set<Promise<void>>();
  private failure: Error | null = null;
  /** The stop rules, checked in the loop and in each commit (where a replay checks them too). */
  private checkStops: () => void = () => {};
  /** The limit of candidates' train evaluations, once the seed's time is known (evaluation.adaptiveTimeout). */
  private trainTimeoutMs: number | undefined;

  constructor(private readonly parts: EngineParts) {
    this.rng = new Rng(parts.config.seed);
    this.root = new Rng(parts.config.seed);
    this.clock = parts.clock ?? Date.now;
    const own = (parts.proposer as { ledger?: unknown }).ledger;
    this.ledger =
      parts.ledger ??
      (own instanceof Ledger ? own : new Ledger(new Budget(parts.config.budget.usd), this.clock));
    // Stored before each request is sent: a kill with calls in flight still charges them on resume.
    this.ledger.onReserve = (reservation) => this.write([{ type: "model_reserved", ...reservation }]);
    this.observer = parts.observer ?? (isObserver(parts.proposer) ? parts.proposer : undefined);
    this.steering = new Steering(parts.store);
  }

  /** Asks the run to stop launching work and drain what is in flight. */
  stop(reason: StopReason = "interrupted", detail?: string): void {
    if (!this.stopRequest) this.stopRequest = { reason, detail };
    this.sequencer.stopSelecting();
    this.wake();
  }

  async run(): Promise<RunOutcome> {
    const { store, strategy, config, task } = this.parts;
    const summary = await store.summary();
    const queue = this.queue;
    let nextIteration: number;
    let commits = 0;

    if (summary.state === "new") {
      const seed: Candidate = {
        id: candidateId(0),
        iteration: 0,
        parentId: "",
        tag: "",
        code: task.initialCode,
        diff: "",
        model: "initial",
      };
      await this.write([
        { type: "run_started", taskId: task.id, taskVersion: task.version, config, seed: config.seed },
        {
          type: "candidate_proposed",
          candidateId: seed.id,
          iteration: 0,
          parentId: null,
          tag: "",
          code: seed.code,
          diff: "",
          prompt: "",
          model: "initial",
          reply: "",
          usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
          rng: this.rng.state(),
        },
      ]);
      queue.push(seed);
      this.unsettled.add(0);
      nextIteration = 1;
    } else {
      // Rebuild the strategy exactly: what settled and the strategy's own events, in stored order.
      for (const entry of await store.history()) {
        if ("settled" in entry) {
          this.remember(entry.settled, true);
          commits += commitsOf(entry.settled);
        } else if (entry.strategyEvent.strategy === strategy.name) {
          const { kind, data } = entry.strategyEvent;
          strategy.replay?.({ kind, data });
        }
      }
      const rng = await store.lastRngState();
      if (rng) this.rng.restore(rng);
      const pending = await store.pendingCandidates();
      queue.push(...pending);
      for (const c of pending) this.unsettled.add(c.iteration);
      commits += pending.filter((c) => c.iteration > 0).length;
      await chargeOpenReservations(store);
      this.ledger.budget.spentUsd = (await store.totalUsage()).costUsd;
      if (this.observer) {
        for (const call of await store.ledger()) this.observer.onModelCall(call, false);
        for (const outcome of await store.outcomes()) this.observer.onOutcome(outcome, false);
      }
      const best = strategy.best();
      this.testedBestId = summary.best?.testScore != null ? summary.best.id : null;
      if (best) {
        this.bestScore = best.score;
        this.bestIteration = best.iteration;
      }
      this.lastEvaluatedIteration = summary.iterations;
      nextIteration = summary.iterations + 1;
      await this.write([{ type: "run_resumed", pending: pending.length }]);
    }

    this.sequencer = new Sequencer(commits, this.parts.schedule);
    if (this.stopRequest) this.sequencer.stopSelecting();
    await this.steering.refresh();
    this.steering.startSession();
    const activeBefore = await store.activeSeconds(this.clock());
    const sessionStart = this.clock();
    this.checkStops = () => {
      if (!this.stopRequest) this.checkBudgets(activeBefore, sessionStart);
    };
    const timeLimit = config.budget.timeLimit;
    let timer: NodeJS.Timeout | undefined;
    if (timeLimit !== undefined) {
      const remaining = Math.max(0, timeLimit - activeBefore) * 1000;
      timer = setTimeout(() => this.wake(), remaining + 5);
      timer.unref();
    }

    const heartbeatMs = this.parts.heartbeatMs ?? HEARTBEAT_MS;
    const heartbeat = setInterval(() => {
      if (this.clock() - this.lastWriteAt < heartbeatMs) return;
      this.write([{ type: "heartbeat" }]).catch((e: unknown) => this.stop("error", String(e)));
    }, heartbeatMs);
    heartbeat.unref();

    const proposals = new Set<Promise<void>>();
    const { proposals: maxProposals, ordered } = config.concurrency;
    // A replay selects when its schedule says: any limit here could hold back the step it waits for.
    const replaying = this.sequencer.replaying;
    const mayPropose = (iteration: number) =>
      replaying ||
      (proposals.size < maxProposals &&
        (ordered ? this.settledThrough(iteration - maxProposals) : queue.length < maxProposals));
    for (;;) {
      this.checkStops();
      await this.steering.refresh();
      this.startEvaluations();
      const seeded = strategy.size() > 0;
      while (
        !this.stopRequest &&
        !this.steering.paused &&
        seeded &&
        nextIteration <= config.budget.iterations &&
        mayPropose(nextIteration)
      ) {
        this.unsettled.add(nextIteration);
        this.track(proposals, this.propose(nextIteration++));
      }
      const idle = proposals.size === 0 && this.settling.size === 0 && queue.length === 0;
      if (idle) {
        if (!seeded && !this.stopRequest) this.stop("error", "the initial program was not evaluated");
        if (this.stopRequest || nextIteration > config.budget.iterations) break;
      }
      await new Promise<void>((resolve) => {
        let poll: NodeJS.Timeout | undefined;
        const wake = () => {
          clearTimeout(poll);
          resolve();
        };
        this.wake = wake;
        for (const p of [...proposals, ...this.settling]) p.then(wake, wake);
        // Paused, the run has nothing else to wake it: look for the dashboard's continue now and then.
        if (this.steering.paused) poll = setTimeout(wake, STEERING_POLL_MS);
      });
    }
    if (timer) clearTimeout(timer);

    let reason: StopReason = this.stopRequest?.reason ?? "iterations";
    const detail = this.stopRequest?.detail;
    if (reason !== "interrupted" && reason !== "error") {
      // Chained re-tests run after the awaited one: wait until the latest best has its test score.
      for (;;) {
        await this.testBest();
        if (this.testRunning) await this.testRunning;
        const best = strategy.best();
        if (!this.testRunning && (!best || best.id === this.testedBestId)) break;
      }
    }
    if (this.failure) reason = "error";
    clearInterval(heartbeat);
    // Calls that served the run as a whole (no candidate stored them) join the ledger now.
    const unattached = this.ledger.takeAll().map((c): RunEvent => ({ type: "model_called", ...c }));
    await this.write([...unattached, { type: "run_stopped", reason, ...(detail ? { detail } : {}) }]);
    await this.writing;
    return { reason, detail, best: strategy.best() };
  }

  /**
   * Iteration k is selected only once every iteration up to k − proposals has
   * settled. This bounds how far proposals run ahead of evaluations, and makes
   * what the strategy has seen at each selection independent of timing when
   * one proposal is in flight, so such runs are reproducible.
   */
  private settledThrough(iteration: number): boolean {
    for (const k of this.unsettled) if (k <= iteration) return false;
    return true;
  }

  /** Keeps `work` in `set` until it ends; a throw stops the run with an error. */
  private track(set: Set<Promise<void>>, work: Promise<void>): void {
    const p = work.catch((e: unknown) => {
      this.failure ??= e instanceof Error ? e : new Error(String(e));
      this.stop("error", this.failure.message);
    });
    const done = p.finally(() => set.delete(done));
    set.add(done);
  }

  /** Starts the evaluations of queued candidates while a slot is free: called the moment one is queued or a slot frees. */
  private startEvaluations(): void {
    const max = this.parts.config.concurrency.evaluations;
    let started = false;
    while (this.evaluating < max && this.queue.length > 0) {
      this.evaluating++;
      started = true;
      this.track(this.settling, this.evaluate(this.queue.shift() as Candidate));
    }
    // A shorter queue may let the loop start another proposal.
    if (started) this.wake();
  }

  private checkBudgets(activeBefore: number, sessionStart: number): void {
    const { budget } = this.parts.config;
    const dollars = this.ledger.budget;
    if (budget.usd !== undefined && (dollars.exhausted || dollars.spentUsd >= budget.usd)) {
      this.stop("budget_usd", dollars.exhausted ?? `spent $${dollars.spentUsd.toFixed(4)} of $${budget.usd}`);
    } else if (
      budget.timeLimit !== undefined &&
      activeBefore + (this.clock() - sessionStart) / 1000 >= budget.timeLimit
    ) {
      this.stop("time_limit", `ran ${budget.timeLimit} s`);
    } else if (budget.targetScore !== undefined && this.bestScore >= budget.targetScore) {
      this.stop("target_score", `best score ${this.bestScore.toFixed(2)} ≥ ${budget.targetScore}`);
    } else if (
      budget.patience !== undefined &&
      this.lastEvaluatedIteration - this.bestIteration >= budget.patience
    ) {
      this.stop("patience", `no improvement for ${budget.patience} iterations`);
    }
  }

  private async propose(iteration: number): Promise<void> {
    const { proposer, task, config } = this.parts;
    const id = candidateId(iteration);
    // The selection, the prompt's read of the store and the request run as one step: what they see is
    // the commits before it, which the proposal records as its basis.
    const picked = await this.sequencer.select(iteration, async () => {
      const selection = this.select();
      if (!selection) {
        this.stop("error", "every program of the run is vetoed: there is no parent left to select");
        return undefined;
      }
      const basis = this.sequencer.commits;
      // The stream state right after this selection: a resumed run continues from the last stored one.
      const rngState = this.rng.state();
      const proposalRng = this.rng.fork(`proposal:${iteration}`);
      const directive = selection.directive;
      const proposal = directive?.child
        ? Promise.resolve(readyChild(selection.parent, directive.child))
        : proposer.propose({
            iteration,
            parent: selection.parent,
            inspirations: selection.inspirations,
            failures: this.memory.recall(
              selection.parent.id,
              FAILURES_IN_PROMPT,
              config.prompt.memory === "lineage",
            ),
            spec: task.spec,
            rng: proposalRng,
            ...(directive ? { directive } : {}),
          });
      proposal.catch(() => undefined); // awaited below, once this step is over
      return { selection, basis, rngState, proposal };
    });
    if (!picked) {
      this.unsettled.delete(iteration);
      this.sequencer.drop(iteration);
      return;
    }
    const { selection, basis, rngState } = picked;
    const directive = selection.directive;
    let proposal: Proposal;
    try {
      proposal = await picked.proposal;
    } catch (e) {
      if (e instanceof LlmError && (e.kind === "budget" || e.kind === "replay_missing")) {
        // Nothing of this proposal is stored: a resumed run (with more budget) selects it again.
        this.ledger.take(id);
        this.unsettled.delete(iteration);
        this.sequencer.drop(iteration);
        if (e.kind === "budget") this.stop("budget_usd", this.ledger.budget.exhausted ?? e.message);
        else this.stop("error", e.message);
        return;
      }
      proposal = {
        code: null,
        diff: "",
        rejection: `proposal failed: ${e instanceof Error ? e.message : String(e)}`,
        model: "unknown",
        prompt: "",
        reply: "",
        usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      };
    }
    const code = proposal.code;
    const candidate = {
      id,
      iteration,
      parentId: selection.parent.id,
      tag: selection.tag,
      diff: proposal.diff,
      model: proposal.model,
    };
    const calls = this.ledger.take(id);
    const events: RunEvent[] = [
      {
        type: "candidate_proposed",
        candidateId: id,
        iteration,
        parentId: selection.parent.id,
        tag: selection.tag,
        ...operationOf(directive),
        code,
        diff: proposal.diff,
        prompt: proposal.prompt,
        model: proposal.model,
        reply: proposal.reply,
        usage: proposal.usage,
        rng: rngState,
        basis,
      },
      ...this.own(selection.events ?? []),
      ...this.own(proposal.events ?? []),
      ...calls.map((call): RunEvent => ({ type: "model_called", ...call })),
    ];
    if (code === null) this.sequencer.settledWithProposal(iteration);
    const stored = this.sequencer.commit("propose", iteration, async () => {
      // What the proposer learned for the strategy (meta-recommendations) reaches it as on resume.
      for (const e of proposal.events ?? []) this.parts.strategy.replay?.(e);
      if (code === null) {
        const reason = proposal.rejection ?? "no code";
        events.push(
          { type: "edit_rejected", candidateId: id, reason },
          ...this.remember({ status: "rejected", candidate: { ...candidate, code: null }, reason }, false),
        );
      }
      await this.write(
        events,
        code === null ? { candidateId: id, model: proposal.model, gain: 0 } : undefined,
      );
      this.checkStops();
      this.countModelFailures(code === null ? calls : []);
    });
    if (code !== null) {
      // Its evaluation starts now, beside the write: its result is stored only after the proposal.
      this.queue.push({ ...candidate, code });
      this.startEvaluations();
    }
    // Its place among the proposals in flight is free now: the loop may start the next while this one is stored.
    this.track(
      this.settling,
      stored.then(() => {
        if (this.ledger.budget.exhausted) this.stop("budget_usd", this.ledger.budget.exhausted);
        if (code === null) this.settled(iteration);
      }),
    );
  }

  /**
   * A proposal is lost to the models when it made calls and every one failed;
   * `budget.modelFailures` of those in a row stop the run, rather than
   * spending its iterations on a provider that is down.
   */
  private countModelFailures(calls: readonly ModelCall[]): void {
    const failed = calls.filter((c) => c.error !== undefined);
    if (calls.length === 0 || failed.length < calls.length) {
      this.modelFailures = 0;
      return;
    }
    this.modelFailures++;
    const limit = this.parts.config.budget.modelFailures;
    if (this.modelFailures >= limit) {
      this.stop(
        "models_failing",
        `${limit} proposals in a row lost to model errors; the last: ${failed.at(-1)?.error}`,
      );
    }
  }

  /** Screens and evaluates a candidate in an evaluation slot, then settles it in its turn. */
  private async evaluate(candidate: Candidate): Promise<void> {
    const isSeed = candidate.iteration === 0;
    const { strategy } = this.parts;
    let verdict: ScreenVerdict = { pass: true };
    let evaluation: Evaluation | undefined;
    try {
      if (!isSeed && strategy.screen)
        verdict = await strategy.screen(candidate, await this.screenTools(candidate));
      if (verdict.pass)
        evaluation = await this.safeEvaluate(candidate.code, "train", undefined, `${candidate.id}/train`);
      if (evaluation && !isSeed && this.parts.gate)
        evaluation = await this.parts.gate.review(candidate.code, evaluation, this.bestScore);
    } finally {
      this.evaluating--;
      this.startEvaluations();
    }
    await this.sequencer.commit("settle", candidate.iteration, () =>
      this.settle(candidate, verdict, evaluation),
    );
    this.settled(candidate.iteration);
    if (isSeed && evaluation?.status !== "ok") {
      this.stop(
        "error",
        `the initial program of task ${this.parts.task.id} fails its evaluation (${evaluation?.status}): ${evaluation?.error ?? evaluation?.feedback}`,
      );
      return;
    }
    this.testBest().catch((e: unknown) => this.stop("error", `test evaluation failed: ${String(e)}`));
  }

  /** The commit of a settled candidate: the strategy ingests it and everything is stored in one transaction. */
  private async settle(candidate: Candidate, verdict: ScreenVerdict, evaluation?: Evaluation): Promise<void> {
    const isSeed = candidate.iteration === 0;
    const events: RunEvent[] = this.own(verdict.events ?? []);
    if (!verdict.pass || !evaluation) {
      const reason = verdict.pass ? "not evaluated" : verdict.reason;
      events.push(
        { type: "candidate_screened", candidateId: candidate.id, reason },
        ...this.remember({ status: "screened", candidate, reason }, false),
      );
      await this.write(events, { candidateId: candidate.id, model: candidate.model, gain: 0 });
      this.checkStops();
      return;
    }
    events.push({ type: "evaluation_finished", candidateId: candidate.id, evaluation });
    let settled: Settled;
    if (evaluation.status === "ok") {
      const parent = this.programs.get(candidate.parentId);
      const program: Program = {
        id: candidate.id,
        parentId: isSeed ? null : candidate.parentId,
        code: candidate.code,
        score: evaluation.score,
        metrics: evaluation.metrics,
        feedback: evaluation.feedback,
        tag: candidate.tag,
        generation: parent ? parent.generation + 1 : 0,
        iteration: candidate.iteration,
        diff: candidate.diff,
        model: candidate.model,
        createdAt: this.clock(),
      };
      events.push({ type: "program_inserted", program });
      settled = { status: "ok", candidate, evaluation, program };
    } else {
      settled = { status: "failed", candidate, evaluation };
    }
    events.push(...this.remember(settled, false));
    const parentScore = this.programs.get(candidate.parentId)?.score;
    const gain =
      evaluation.status === "ok" && parentScore !== undefined && !isSeed
        ? Math.max(0, evaluation.score - parentScore)
        : 0;
    await this.write(
      events,
      isSeed ? undefined : { candidateId: candidate.id, model: candidate.model, gain },
    );
    this.checkStops();
  }

  /**
   * The strategy's selection, as steering wants it: a vetoed parent is drawn
   * again (a few times, then the best program not vetoed stands in), vetoed
   * inspirations are left out, and the active hints join the prompt.
   */
  private select(): Selection | undefined {
    let selection = this.parts.strategy.select(this.rng);
    for (let redraw = 0; redraw < VETO_REDRAWS && this.steering.rejects(selection); redraw++) {
      selection = this.parts.strategy.select(this.rng);
    }
    const allowed = this.steering.rejects(selection)
      ? this.steering.fallback(selection, this.programs.values())
      : selection;
    return allowed && this.steering.steer(allowed);
  }

  /** An iteration is done: it frees its place in the selection window and counts for patience. */
  private settled(iteration: number): void {
    this.unsettled.delete(iteration);
    this.lastEvaluatedIteration = Math.max(this.lastEvaluatedIteration, iteration);
  }

  /** What a strategy's screen may use for this candidate. */
  private async screenTools(candidate: Candidate): Promise<ScreenTools> {
    this.trainWorkloads ??= this.parts.queue.workloadIds("train");
    return {
      trainWorkloads: await this.trainWorkloads,
      evaluate: (code, workloads) => this.safeEvaluate(code, "train", workloads),
      rng: this.root.fork(`screen:${candidate.id}`),
    };
  }

  /** Tells the strategy how a candidate settled; returns its events (none when rebuilding on resume). */
  private remember(settled: Settled, replay: boolean): RunEvent[] {
    this.memory.ingest(settled);
    if (settled.candidate.iteration === 0 && settled.status === "ok") {
      const { queue, config } = this.parts;
      const limit = adaptiveTimeout(
        config.evaluation.adaptiveTimeout,
        settled.evaluation.durationMs,
        queue.limits?.timeoutMs,
      );
      this.trainTimeoutMs = limit?.timeoutMs;
      if (limit) this.parts.onNotice?.(limit.line);
    }
    if (settled.status === "ok") {
      const program = settled.program;
      this.programs.set(program.id, program);
      if (program.score > this.bestScore) {
        this.bestScore = program.score;
        this.bestIteration = program.iteration;
      }
    }
    const events = this.parts.strategy.ingest(settled);
    return replay ? [] : this.own(events);
  }

  /** A strategy's events as stored. */
  private own(events: readonly StrategyEvent[]): RunEvent[] {
    const strategy = this.parts.strategy.name;
    return events.map((e) => ({ type: "strategy_event", strategy, kind: e.kind, data: e.data }));
  }

  /**
   * Evaluates the best program on the held-out test split (never shown to the
   * search); resolves once the latest best has a test evaluation.
   */
  private testBest(): Promise<void> {
    if (this.testRunning) return this.testRunning;
    const best = this.parts.strategy.best();
    if (!best || best.id === this.testedBestId) return Promise.resolve();
    this.testedBestId = best.id;
    const running = (async () => {
      const evaluation = await this.safeEvaluate(best.code, "test", undefined, `${best.id}/test`);
      await this.write([{ type: "test_evaluated", programId: best.id, evaluation }]);
    })().finally(() => {
      this.testRunning = null;
    });
    this.testRunning = running;
    return running.then(() => this.testBest());
  }

  /** `key` names the job (the candidate and its split): a result stored under it is not computed again. */
  private async safeEvaluate(
    code: string,
    split: Split,
    workloads?: readonly string[],
    key?: string,
  ): Promise<Evaluation> {
    try {
      // Candidates are bounded by the seed's time; the held-out test split keeps the task's limit.
      const limit = split === "train" ? this.trainTimeoutMs : undefined;
      return await this.parts.queue.evaluate(code, split, workloads, {
        ...(limit === undefined ? {} : { timeoutMs: limit }),
        ...(key ? { key } : {}),
      });
    } catch (e) {
      return {
        status: "error",
        score: 0,
        metrics: {},
        workloads: [],
        stages: [],
        feedback: "",
        error: `evaluator failed: ${e instanceof Error ? e.message : String(e)}`,
        durationMs: 0,
      };
    }
  }

  /**
   * The single writer: appends happen one at a time, in call order. Learners
   * hear of model calls and of a settled proposal (`outcome`) once stored, in
   * store order, exactly as a resumed run replays them.
   */
  private write(events: RunEvent[], outcome?: ProposalOutcome): Promise<void> {
    this.lastWriteAt = this.clock();
    const next = this.writing.then(async () => {
      await this.parts.store.append(events);
      for (const e of events) {
        if (e.type === "model_called") {
          this.observer?.onModelCall(
            {
              model: e.model,
              iteration: e.iteration,
              costUsd: e.usage.costUsd,
              outcome: e.outcome,
              ...(e.error ? { error: e.error } : {}),
            },
            true,
          );
        }
      }
      if (outcome) this.observer?.onOutcome(outcome, true);
      for (const e of events) this.parts.onEvent?.(e);
    });
    this.writing = next.catch(() => {});
    return next;
  }
}

/** A child the strategy made itself (a merge): proposed as is, with no model call. */
function readyChild(parent: Program, child: NonNullable<Directive["child"]>): Proposal {
  return {
    code: child.code,
    diff: unifiedDiff(parent.code, child.code),
    model: "none",
    prompt: "",
    reply: child.note,
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  };
}

/** The directive's operation, second parent and edit mode, as candidate_proposed records them. */
function operationOf(directive: Directive | undefined): {
  operation?: string;
  secondParentId?: string;
  editMode?: "diff" | "full";
} {
  return {
    ...(directive?.operation ? { operation: directive.operation } : {}),
    ...(directive?.secondParent ? { secondParentId: directive.secondParent.id } : {}),
    ...(directive?.editMode ? { editMode: directive.editMode } : {}),
  };
}

/** The commits a settled candidate made: its proposal (not the seed's) and its settlement (a rejection's is the proposal's). */
function commitsOf(settled: Settled): number {
  return (settled.candidate.iteration > 0 ? 1 : 0) + (settled.status === "rejected" ? 0 : 1);
}

function isObserver(value: unknown): value is ProposalObserver {
  const v = value as Partial<ProposalObserver>;
  return typeof v.onModelCall === "function" && typeof v.onOutcome === "function";
}
