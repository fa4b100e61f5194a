/**
 * The tick machine of the Can't-Be-Late tasks (NSDI'24 spot scheduling, single
 * and multi region): a job of fixed length runs on spot instances that come and
 * go, or on on-demand instances that are always there, and must finish by a
 * deadline. Time advances in ticks of fixed length; at the start of each tick a
 * policy asks for SPOT, ON_DEMAND or NONE in one region.
 *
 * The same code runs in the sandbox (the driver shows the policy its state) and
 * in the trusted scorer (which replays the policy's requests and bills them),
 * so both see the same trajectory. It is pure, allocation-free per tick, and
 * knows nothing of I/O.
 */

/** Instance kinds as the machine encodes them. */
export const NONE = 0;
export const SPOT = 1;
export const ON_DEMAND = 2;
export type Kind = typeof NONE | typeof SPOT | typeof ON_DEMAND;

/** One letter per kind in replayable decision strings. */
export const KIND_LETTERS = "NSO";

/** Below this many seconds, remaining work or restart overhead counts as none (as published). */
const EPSILON = 1e-3;

// Module-level copies: in a sandbox realm every lookup of a global such as `Math` can
// be slow, and these are used every tick.
const { floor, ceil, max, min } = Math;
const INFINITY = Number.POSITIVE_INFINITY;

/**
 * Availability and spot prices of one run, every region over the same ticks.
 * Row-major: index `region * ticks + tick`.
 */
export interface Trace {
  regions: number;
  ticks: number;
  /** 1 when a spot instance can be had in that region during that tick. */
  available: Uint8Array;
  /** Spot price in $/hour in that region during that tick. */
  spotPrice: Float64Array;
}

export interface Job {
  tickSeconds: number;
  taskSeconds: number;
  deadlineSeconds: number;
  /** Seconds of paid, unproductive time after every (re)start. */
  restartSeconds: number;
  onDemandPrice: number;
}

/**
 * The rules that differ between our evaluation and the published one.
 * `OUR_RULES` is what the task scores; `PUBLISHED_RULES` reproduces the
 * published simulator for comparison.
 */
export interface Rules {
  /**
   * Near the deadline the guard keeps a spot instance only if it is still
   * running ("running") or if it ran in the previous tick, even if it was just
   * preempted ("last", published: the job then idles one tick and may miss).
   */
  guardKeepsSpot: "running" | "last";
  /**
   * Moving a running job to another region restarts it, and the guard does not
   * let a running job move (ours); published: a move of a running instance of
   * the same kind is free.
   */
  regionMoveRestarts: boolean;
  /**
   * "per-tick": each spot tick is billed at its region's price for that tick.
   * "final-region": every spot tick is billed at the first price of the trace of
   * the region the run ends in (published).
   */
  billing: "per-tick" | "final-region";
}

export const OUR_RULES: Rules = Object.freeze({
  guardKeepsSpot: "running",
  regionMoveRestarts: true,
  billing: "per-tick",
});

export const PUBLISHED_RULES: Rules = Object.freeze({
  guardKeepsSpot: "last",
  regionMoveRestarts: false,
  billing: "final-region",
});

/** Which rules a workload runs under: absent or "ours", ours; "published", the published simulator's. */
export type RuleSet = "ours" | "published";

export function rulesOf(set: RuleSet | undefined): Rules {
  return set === "published" ? PUBLISHED_RULES : OUR_RULES;
}

/**
 * One run of the job against one trace. Drive it with
 * `while (!run.begin()) run.apply(kind, region)`: `begin` opens the tick (it
 * credits the work of the previous tick and notes a preemption) and says
 * whether the job is complete; `apply` takes the policy's request for the tick,
 * applies the deadline guard and spot availability, and bills the tick.
 */
export class SpotRun {
  /** The tick being decided (0-based); its start is `tick · tickSeconds`. */
  tick = 0;
  /** The region the job is in: where it runs, or last ran. */
  region = 0;
  /** Spot available in `region` during this tick. */
  hasSpot = false;
  /** What ran during the previous tick. */
  last: Kind = NONE;
  /** What is running now: `last`, or NONE once spot was preempted. */
  running: Kind = NONE;
  /** Seconds of work done. */
  done = 0;
  /** Seconds of restart overhead the running instance still has to pay. */
  restartLeft = 0;
  /** When the last second of work completed, or Infinity while unfinished. */
  finishTime = INFINITY;

  // Counters for metrics and feedback.
  spotTicks = 0;
  onDemandTicks = 0;
  idleTicks = 0;
  restarts = 0;
  regionMoves = 0;
  /** Ticks in which the deadline guard decided instead of the policy. */
  guardTicks = 0;
  /** Ticks in which SPOT was asked for where there was none (the tick idles). */
  spotDenied = 0;

  private spotCost = 0;
  private onDemandCost = 0;

  constructor(
    readonly trace: Trace,
    readonly job: Job,
    readonly rules: Rules = OUR_RULES,
    startRegion = 0,
  ) {
    if (!Number.isInteger(startRegion) || startRegion < 0 || startRegion >= trace.regions) {
      throw new RangeError(`start region ${startRegion} is not in 0..${trace.regions - 1}`);
    }
    this.region = startRegion;
  }

  get finished(): boolean {
    return this.finishTime !== INFINITY;
  }

  /** Finished after the deadline. */
  get missed(): boolean {
    return this.finishTime > this.job.deadlineSeconds + EPSILON;
  }

  get remaining(): number {
    return this.job.taskSeconds - this.done;
  }

  /** Dollars billed so far (under `final-region` billing: as if the run ended in the current region). */
  get cost(): number {
    if (this.rules.billing === "per-tick") return this.spotCost + this.onDemandCost;
    const t = this.trace;
    const price = t.spotPrice[this.region * t.ticks] as number;
    return (price * this.spotTicks * this.job.tickSeconds) / 3600 + this.onDemandCost;
  }

  /** Spot availability of `region` in the current tick. */
  spotIn(region: number): boolean {
    return this.trace.available[region * this.trace.ticks + this.tick] === 1;
  }

  /** Spot price of `region` in the current tick, $/hour. */
  priceIn(region: number): number {
    return this.trace.spotPrice[region * this.trace.ticks + this.tick] as number;
  }

  /**
   * Opens the current tick: credits the work of the previous one, notes a
   * preemption, and returns true once the job is complete (no decision is then
   * asked for). Throws when the trace has no more ticks.
   */
  begin(): boolean {
    const { tickSeconds, taskSeconds } = this.job;
    if (this.tick >= this.trace.ticks) {
      throw new RangeError(
        `the run reached the end of its trace (${this.trace.ticks} ticks) with ${((taskSeconds - this.done) / 3600).toFixed(3)} h of work left`,
      );
    }
    this.hasSpot = this.spotIn(this.region);
    this.last = this.running;
    if (this.last !== NONE) {
      const productive = max(tickSeconds - this.restartLeft, 0);
      this.restartLeft -= tickSeconds - productive;
      if (this.restartLeft < EPSILON) this.restartLeft = 0;
      const credit = min(productive, taskSeconds - this.done);
      this.done += credit;
      if (this.done >= taskSeconds) {
        this.finishTime = (this.tick - 1) * tickSeconds + (tickSeconds - productive) + credit;
        return true;
      }
    }
    if (this.last === SPOT && !this.hasSpot) this.running = NONE;
    return false;
  }

  /**
   * True when the deadline guard decides this tick: the ticks left before the
   * deadline no longer exceed the ticks needed for the remaining work plus one
   * restart.
   */
  get forced(): boolean {
    const { tickSeconds, deadlineSeconds, restartSeconds } = this.job;
    const work = this.job.taskSeconds - this.done;
    if (work <= EPSILON) return false;
    const left = floor((deadlineSeconds - this.tick * tickSeconds) / tickSeconds);
    const need = ceil((work + restartSeconds) / tickSeconds);
    return need >= left;
  }

  /**
   * Applies the request for this tick and moves to the next. Returns the kind
   * that runs during the tick (after the guard and spot availability).
   */
  apply(request: Kind, requestRegion: number = this.region): Kind {
    let want = request;
    let target = requestRegion;
    if (this.forced) {
      this.guardTicks++;
      const onSpot = this.rules.guardKeepsSpot === "last" ? this.last === SPOT : this.running === SPOT;
      want = onSpot && this.restartLeft < EPSILON ? SPOT : ON_DEMAND;
      if (this.rules.regionMoveRestarts && this.running !== NONE) target = this.region;
    }
    if (want === SPOT && !this.spotIn(target)) {
      want = NONE;
      this.spotDenied++;
    }
    const moved = target !== this.region;
    if (moved) this.regionMoves++;
    this.region = target;
    // Same kind still running: a restart only if it moved (and moving restarts).
    const restart = want !== NONE && (want !== this.running || (moved && this.rules.regionMoveRestarts));
    if (restart) {
      this.restartLeft = this.job.restartSeconds;
      this.restarts++;
    }
    this.running = want;
    const hours = this.job.tickSeconds / 3600;
    if (want === SPOT) {
      this.spotTicks++;
      this.spotCost += this.priceIn(target) * hours;
    } else if (want === ON_DEMAND) {
      this.onDemandTicks++;
      this.onDemandCost += this.job.onDemandPrice * hours;
    } else {
      this.idleTicks++;
    }
    this.tick++;
    return want;
  }
}

export interface ReplayResult {
  cost: number;
  finishTime: number;
  missed: boolean;
  ticks: number;
  spotTicks: number;
  onDemandTicks: number;
  idleTicks: number;
  restarts: number;
  regionMoves: number;
  guardTicks: number;
  spotDenied: number;
}

/**
 * Replays a decision string against a trace. Each tick is one kind letter
 * (`N`, `S`, `O`), followed by the region as one base-36 digit when
 * `withRegions`. Returns why the string does not fit the run, if it does not:
 * a bad letter, decisions after the job finished, or too few to finish it.
 */
export function replay(
  trace: Trace,
  job: Job,
  decisions: string,
  options: { rules?: Rules; withRegions?: boolean } = {},
): ReplayResult | { error: string } {
  const width = options.withRegions ? 2 : 1;
  if (decisions.length % width !== 0) {
    return { error: `the decision string has ${decisions.length} characters, not a multiple of ${width}` };
  }
  const run = new SpotRun(trace, job, options.rules ?? OUR_RULES);
  const steps = decisions.length / width;
  let i = 0;
  try {
    while (!run.begin()) {
      if (i >= steps) {
        return {
          error: `the decisions end at tick ${i} with ${(run.remaining / 3600).toFixed(3)} h of work left`,
        };
      }
      const letter = decisions.charCodeAt(i * width);
      const kind = letter === 83 ? SPOT : letter === 79 ? ON_DEMAND : letter === 78 ? NONE : -1;
      if (kind < 0) {
        return { error: `decision ${i} is ${JSON.stringify(decisions[i * width])}, not N, S or O` };
      }
      let region = run.region;
      if (width === 2) {
        region = Number.parseInt(decisions[i * width + 1] as string, 36);
        if (!(region >= 0 && region < trace.regions)) {
          return {
            error: `decision ${i} names region ${JSON.stringify(decisions[i * width + 1])}, not one of 0..${trace.regions - 1}`,
          };
        }
      }
      run.apply(kind as Kind, region);
      i++;
    }
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (i < steps) {
    return {
      error: `${steps - i} decisions follow the end of the job (it finished at tick ${i}); the run must stop there`,
    };
  }
  return {
    cost: run.cost,
    finishTime: run.finishTime,
    missed: run.missed,
    ticks: run.tick,
    spotTicks: run.spotTicks,
    onDemandTicks: run.onDemandTicks,
    idleTicks: run.idleTicks,
    restarts: run.restarts,
    regionMoves: run.regionMoves,
    guardTicks: run.guardTicks,
    spotDenied: run.spotDenied,
  };
}
