/**
 * The sandbox side both Can't-Be-Late drivers share: for each run, create
 * the candidate's policy, drive the tick machine, show the policy its tick
 * and record what it asked for (one kind letter a tick, and the region as one
 * base-36 digit when the task has regions). The drivers differ in the job and
 * tick they show and in the answers they accept.
 */
import {
  type Job,
  KIND_LETTERS,
  type Kind,
  NONE,
  ON_DEMAND,
  type Rules,
  SPOT,
  SpotRun,
  type Trace,
} from "./spot-sim.ts";

/** The candidate's export that creates a policy. */
export const ENTRY = "createPolicy";

const DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz";

/** The tick machine's kind for a decision name, or -1. */
export function kindOf(d: unknown): Kind | -1 {
  return d === "SPOT" ? SPOT : d === "ON_DEMAND" ? ON_DEMAND : d === "NONE" ? NONE : -1;
}

/** The names of the tick machine's kinds, by kind. */
export const KIND_NAMES = ["NONE", "SPOT", "ON_DEMAND"] as const;

/** A short description of a value for an error message. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  if (typeof v === "function") return "a function";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return String(v);
}

/** The candidate's `createPolicy`, or a clear error. */
export function entryOf(candidate: Record<string, unknown>): (job: unknown) => unknown {
  const create = candidate[ENTRY];
  if (typeof create !== "function") {
    throw new Error(`the program must export a function \`${ENTRY}(job)\` that returns the policy`);
  }
  return create as (job: unknown) => unknown;
}

export interface Drive {
  create: (job: unknown) => unknown;
  trace: Trace;
  /** The job the tick machine runs. */
  simJob: Job;
  rules: Rules;
  /** Names the run in errors: `run 3 (deadline 52 h, restart 0.02 h)`. */
  where: string;
  /** The job as the policy sees it (frozen). */
  job: object;
  /** What the policy's function returns, for the error when it returns something else. */
  answer: string;
  /** The tick as the policy sees it. */
  tick(sim: SpotRun): unknown;
  /**
   * The policy's answer as a kind (and a region, for a task with regions);
   * throws for an answer it does not accept, saying what it expected.
   */
  decide(answer: unknown, sim: SpotRun, at: string): { kind: Kind; region?: number };
}

/** Runs one run to its end; returns its decision string. */
export function drive(d: Drive): string {
  const policy = d.create(d.job);
  if (typeof policy !== "function") {
    throw new Error(
      `${d.where}: \`${ENTRY}(job)\` returned ${describe(policy)}, not a function (tick) => ${d.answer}`,
    );
  }
  const sim = new SpotRun(d.trace, d.simJob, d.rules);
  const letters: number[] = [];
  while (!sim.begin()) {
    const at = `${d.where}, tick ${sim.tick}`;
    let answer: unknown;
    try {
      answer = (policy as (tick: unknown) => unknown)(d.tick(sim));
    } catch (err) {
      if (err instanceof Error) err.message = `${at}: ${err.message}`;
      throw err;
    }
    const { kind, region } = d.decide(answer, sim, at);
    letters.push(KIND_LETTERS.charCodeAt(kind));
    if (region !== undefined) letters.push(DIGITS.charCodeAt(region));
    sim.apply(kind, region);
  }
  return String.fromCharCode(...letters);
}
