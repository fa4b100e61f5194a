import type { RunEvent, StopReason } from "../core/events.ts";
import { candidateId } from "../core/ids.ts";
import { Rng } from "../core/rng.ts";
import type { Candidate, Evaluation, ModelCall, NoiseMeasure, Program, Settled } from "../core/types.ts";
import { LlmError } from "../llm/errors.ts";
// Not llm/index.ts: the engine has no need of the providers' SDKs.
import { Budget, Ledger } from "../llm/ledger.ts";
import { NegativeMemory } from "../search/memory.ts";
import type { Proposal } from "../search/proposer.ts";
import type { ScreenVerdict, StrategyEvent } from "../search/strategy.ts";
import type { ProposalOutcome } from "../store/store.ts";
import { Evaluations } from "./evaluations.ts";
import { repeatsFor } from "./noise.ts";
import { type EngineParts, isObserver, type ProposalObserver, type RunOutcome } from "./parts.ts";
import { calledEvents, failedProposal, proposedEvent, requestChild } from "./proposal.ts";
import { Sequencer } from "./sequencer.ts";
import { gainOver, programOf } from "./settlement.ts";
import { start as startSession } from "./start.ts";
import { EvaluationSlots } from "./slots.ts";
import { Steering } from "./steering.ts";
import { ActiveTime, budgetStop, modelFailures } from "./stops.ts";
import { BestTest } from "./test-best.ts";
import { WakeUp } from "./wake-up.ts";
import { Unsettled } from "./unsettled.ts";
import { Writer } from "./writer.ts";

export type { EngineParts, ProposalObserver, RunOutcome } from "./parts.ts";

/** Nothing stored for this long: store a heartbeat, so a kill loses at most this much active time. */
const HEARTBEAT_MS = 5_000;

/** How often a paused run looks for the dashboard's continue. */
const STEERING_POLL_MS = 250;

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
 * Invariants (each with a test), each written down where it lives:
 * - `unsettled` holds exactly the iterations selected and not yet settled,
 *   and bounds the ordered mode's selections (unsettled.ts).
 * - The loop sleeps only on a promise that something will resolve (wake-up.ts):
 *   a proposal or settle ending, `stop`, or an evaluation started in a freed
 *   slot (slots.ts wakes it).
 * - The best's test evaluations are chained (test-best.ts).
 */
export class Engine {
  private readonly rng: Rng;
  private readonly evaluations: Evaluations;
  private readonly clock: () => number;
  private readonly programs = new Map<string, Program>();
  private readonly writer: Writer;
  private stopRequest: { reason: StopReason; detail?: string } | null = null;
  private readonly wakeUp = new WakeUp();
  private readonly ledger: Ledger;
  private readonly observer: ProposalObserver | undefined;
  private bestScore = -1;
  private bestIteration = 0;
  /** Proposals in a row whose every model call failed. */
  private modelFailures = 0;
  private lastEvaluatedIteration = 0;
  private readonly bestTest: BestTest;
  private readonly unsettled = new Unsettled();
  /** What failed on each lineage, for the next prompts (fed with everything settled, so resume recalls the same). */
  private readonly memory = new NegativeMemory();
  /** Pause, hints and vetoes from the dashboard, read from the store before each selection. */
  private readonly steering: Steering;
  /** The order of selections and commits; replaced in run() once the stored commits are counted. */
  private sequencer = new Sequencer();
  /** Candidates stored (or being stored), waiting for or holding an evaluation slot. */
  private readonly slots: EvaluationSlots;
  /** Work past its model call or its evaluation slot: proposals and settlements being stored. */
  private readonly settling = new Set<Promise<void>>();
  private failure: Error | null = null;
  /** The stop rules, checked in the loop and in each commit (where a replay checks them too). */
  private checkStops: () => void = () => {};

  constructor(private readonly parts: EngineParts) {
    this.rng = new Rng(parts.config.seed);
    this.evaluations = new Evaluations(parts.queue, new Rng(parts.config.seed), repeatsFor(parts));
    this.clock = parts.clock ?? Date.now;
    this.slots = new EvaluationSlots(
      parts.config.concurrency.evaluations,
      (candidate) => this.track(this.settling, this.evaluate(candidate)),
      () => this.wakeUp.wake(),
    );
    const own = (parts.proposer as { ledger?: unknown }).ledger;
    this.ledger =
      parts.ledger ??
      (own instanceof Ledger ? own : new Ledger(new Budget(parts.config.budget.usd), this.clock));
    this.observer = parts.observer ?? (isObserver(parts.proposer) ? parts.proposer : undefined);
    this.writer = new Writer(parts.store, this.clock, this.observer, parts.onEvent);
    // Stored before each request is sent: a kill with calls in flight still charges them on resume.
    this.ledger.onReserve = (reservation) => this.write([{ type: "model_reserved", ...reservation }]);
    this.steering = new Steering(parts.store);
    this.bestTest = new BestTest(
      () => parts.strategy.best(),
      (best) => this.evaluations.evaluate(best.code, "test", { key: `${best.id}/test` }),
      (events) => this.write(events),
      (id) => calledEvents(this.ledger.take(id)),
    );
  }

  /** Asks the run to stop launching work and drain what is in flight. */
  stop(reason: StopReason = "interrupted", detail?: string): void {
    if (!this.stopRequest) this.stopRequest = { reason, detail };
    this.sequencer.stopSelecting();
    this.wakeUp.wake();
  }

  async run(): Promise<RunOutcome> {
    const { store, strategy, config } = this.parts;
    const slots = this.slots;
    const start = await startSession({
      parts: this.parts,
      rng: this.rng,
      ledger: this.ledger,
      observer: this.observer,
      write: (events) => this.write(events),
      remember: (settled) => this.remember(settled, true),
    });
    for (const c of start.pending) this.unsettled.selected(c.iteration);
    slots.add(...start.pending);
    let nextIteration = start.nextIteration;
    this.bestTest.alreadyTested(start.testedBestId);
    this.bestScore = start.best?.score ?? this.bestScore;
    this.bestIteration = start.best?.iteration ?? this.bestIteration;
    this.lastEvaluatedIteration = start.iterations;

    this.sequencer = new Sequencer(start.commits, this.parts.schedule);
    if (this.stopRequest) this.sequencer.stopSelecting();
    await this.steering.refresh();
    this.steering.startSession();
    const active = new ActiveTime(await store.activeSeconds(this.clock()), this.clock);
    this.checkStops = () => {
      if (!this.stopRequest) this.checkBudgets(active.seconds());
    };
    const clearAlarm = active.alarm(config.budget.timeLimit, () => this.wakeUp.wake());
    const stopHeartbeat = this.writer.heartbeat(this.parts.heartbeatMs ?? HEARTBEAT_MS, (e) =>
      this.stop("error", String(e)),
    );
    const proposals = new Set<Promise<void>>();
    const { proposals: maxProposals, ordered } = config.concurrency;
    // A replay selects when its schedule says: any limit here could hold back the step it waits for.
    const replaying = this.sequencer.replaying;
    const mayPropose = (iteration: number) =>
      replaying ||
      (proposals.size < maxProposals &&
        (ordered ? this.unsettled.settledThrough(iteration - maxProposals) : slots.queued < maxProposals));
    for (;;) {
      this.checkStops();
      await this.steering.refresh();
      slots.fill();
      const seeded = strategy.size() > 0;
      while (
        !this.stopRequest &&
        !this.steering.paused &&
        seeded &&
        nextIteration <= config.budget.iterations &&
        mayPropose(nextIteration)
      ) {
        this.unsettled.selected(nextIteration);
        this.track(proposals, this.propose(nextIteration++));
      }
      const idle = proposals.size === 0 && this.settling.size === 0 && slots.queued === 0;
      if (idle) {
        if (!seeded && !this.stopRequest) this.stop("error", "the initial program was not evaluated");
        if (this.stopRequest || nextIteration > config.budget.iterations) break;
      }
      // Paused, the run has nothing else to wake it: look for the dashboard's continue now and then.
      await this.wakeUp.sleep(
        [...proposals, ...this.settling],
        this.steering.paused ? STEERING_POLL_MS : undefined,
      );
    }
    clearAlarm();

    let reason: StopReason = this.stopRequest?.reason ?? "iterations";
    const detail = this.stopRequest?.detail;
    // A normal stop waits for the latest best's test evaluation.
    if (reason !== "interrupted" && reason !== "error") {
      await this.bestTest.latest();
    }
    if (this.failure) reason = "error";
    stopHeartbeat();
    // Calls that served the run as a whole (no candidate stored them) join the ledger now.
    await this.write([
      ...calledEvents(this.ledger.takeAll()),
      { type: "run_stopped", reason, ...(detail ? { detail } : {}) },
    ]);
    await this.writer.idle();
    return { reason, detail, best: strategy.best() };
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

  private checkBudgets(activeSeconds: number): void {
    const stop = budgetStop(this.parts.config.budget, {
      spentUsd: this.ledger.budget.spentUsd,
      exhausted: this.ledger.budget.exhausted,
      activeSeconds,
      bestScore: this.bestScore,
      bestIteration: this.bestIteration,
      lastEvaluatedIteration: this.lastEvaluatedIteration,
    });
    if (stop) this.stop(stop.reason, stop.detail);
  }

  private async propose(iteration: number): Promise<void> {
    const { proposer, task, config } = this.parts;
    const id = candidateId(iteration);
    // The selection, the prompt's read of the store and the request run as one step: what they see is
    // the commits before it, which the proposal records as its basis.
    const picked = await this.sequencer.select(iteration, async () => {
      const selection = this.steering.select(this.parts.strategy, this.rng, this.programs.values());
      if (!selection) {
        this.stop("error", "every program of the run is vetoed: there is no parent left to select");
        return undefined;
      }
      const basis = this.sequencer.commits;
      // The stream state right after this selection: a resumed run continues from the last stored one.
      const rngState = this.rng.state();
      const proposal = requestChild(proposer, selection, {
        iteration,
        spec: task.spec,
        rng: this.rng.fork(`proposal:${iteration}`),
        memory: this.memory,
        lineage: config.prompt.memory === "lineage",
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
      proposal = failedProposal(e);
    }
    const code = proposal.code;
    const candidate = {
      id,
      iteration,
      parentId: selection.parent.id,
      tag: selection.tag,
      diff: proposal.diff,
      model: proposal.model,
      costUsd: proposal.usage.costUsd,
    };
    const calls = this.ledger.take(id);
    const events: RunEvent[] = [
      proposedEvent(id, iteration, selection, proposal, rngState, basis),
      ...this.own(selection.events ?? []),
      ...this.own(proposal.events ?? []),
      ...calledEvents(calls),
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
      this.slots.add({ ...candidate, code });
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

  /** `budget.modelFailures` proposals in a row lost to the models stop the run. */
  private countModelFailures(calls: readonly ModelCall[]): void {
    const { streak, stop } = modelFailures(this.modelFailures, calls, this.parts.config.budget.modelFailures);
    this.modelFailures = streak;
    if (stop) this.stop(stop.reason, stop.detail);
  }

  /** Screens and evaluates a candidate in an evaluation slot, then settles it in its turn. */
  private async evaluate(candidate: Candidate): Promise<void> {
    const isSeed = candidate.iteration === 0;
    const { strategy } = this.parts;
    let verdict: ScreenVerdict = { pass: true };
    let evaluation: Evaluation | undefined;
    let noise: NoiseMeasure | undefined;
    try {
      if (!isSeed && strategy.screen)
        verdict = await strategy.screen(
          candidate,
          await this.evaluations.screenTools(candidate, this.parts.proposer.ask?.bind(this.parts.proposer)),
        );
      if (verdict.pass)
        evaluation = await this.evaluations.evaluate(candidate.code, "train", {
          key: `${candidate.id}/train`,
        });
      if (evaluation && !isSeed && this.parts.gate)
        evaluation = await this.parts.gate.review(candidate.code, evaluation, this.bestScore);
      if (evaluation?.status === "ok")
        noise = await this.evaluations.noise.measure(candidate, evaluation, strategy.best());
    } finally {
      this.slots.free();
    }
    await this.sequencer.commit("settle", candidate.iteration, () =>
      this.settle(candidate, verdict, evaluation, noise),
    );
    this.settled(candidate.iteration);
    if (isSeed && evaluation?.status !== "ok") {
      this.stop(
        "error",
        `the initial program of task ${this.parts.task.id} fails its evaluation (${evaluation?.status}): ${evaluation?.error ?? evaluation?.feedback}`,
      );
      return;
    }
    this.bestTest.test().catch((e: unknown) => this.stop("error", `test evaluation failed: ${String(e)}`));
  }

  /** The commit of a settled candidate: the strategy ingests it and everything is stored in one transaction. */
  private async settle(
    candidate: Candidate,
    verdict: ScreenVerdict,
    evaluation?: Evaluation,
    noise?: NoiseMeasure,
  ) {
    const isSeed = candidate.iteration === 0;
    // The screen's model calls (a novelty judge) are stored with the settlement they decided.
    const events: RunEvent[] = [
      ...calledEvents(this.ledger.take(candidate.id)),
      ...this.own(verdict.events ?? []),
    ];
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
    const parent = this.programs.get(candidate.parentId);
    let settled: Settled;
    if (evaluation.status === "ok") {
      const program = programOf(candidate, evaluation, parent, this.clock(), noise);
      events.push({ type: "program_inserted", program });
      settled = { status: "ok", candidate, evaluation, program };
    } else {
      settled = { status: "failed", candidate, evaluation };
    }
    events.push(...this.remember(settled, false));
    const gain = isSeed ? 0 : gainOver(evaluation, parent);
    await this.write(
      events,
      isSeed ? undefined : { candidateId: candidate.id, model: candidate.model, gain },
    );
    this.checkStops();
  }

  /** An iteration is done: it frees its place in the selection window and counts for patience. */
  private settled(iteration: number): void {
    this.unsettled.delete(iteration);
    this.lastEvaluatedIteration = Math.max(this.lastEvaluatedIteration, iteration);
  }

  /** Tells the strategy how a candidate settled; returns its events (none when rebuilding on resume). */
  private remember(settled: Settled, replay: boolean): RunEvent[] {
    this.memory.ingest(settled);
    this.evaluations.noticeSettled(settled, this.parts);
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

  /** Through the run's single writer (writer.ts). */
  private write(events: RunEvent[], outcome?: ProposalOutcome): Promise<void> {
    return this.writer.write(events, outcome);
  }
}
