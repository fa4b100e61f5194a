/**
 * Runs inside the sandbox, bundled with the candidate: for each run of the
 * workload it creates a policy, drives the tick machine, shows the policy its
 * state every tick and records what it asked for. Scoring is done outside, by
 * task.ts, which replays these requests against its own copy of the traces.
 */
import { KIND_LETTERS, type Kind, NONE, ON_DEMAND, SPOT, SpotRun, type Trace } from "../_shared/spot-sim.ts";
import type { Decision, Job, Policy, Tick } from "./api.ts";
import { type EnvInput, jobOf, ON_DEMAND_PRICE, rulesOf, SPOT_PRICE, traceOf } from "./simulator.ts";

export const ENTRY = "createPolicy";

const NAMES: readonly Decision[] = ["NONE", "SPOT", "ON_DEMAND"];

export function run(candidate: Record<string, unknown>, input: EnvInput): { decisions: string[] } {
  const create = candidate[ENTRY];
  if (typeof create !== "function") {
    throw new Error(`the program must export a function \`${ENTRY}(job)\` that returns the policy`);
  }
  const traces = input.traces.map(traceOf);
  const rules = rulesOf(input.rules);
  const decisions = input.runs.map((spec, i) => {
    const trace = traces[spec.trace] as Trace;
    const where = `run ${i} (deadline ${spec.deadlineHours} h, restart ${spec.restartHours} h)`;
    return drive(create as (job: Job) => unknown, trace, jobOf(spec), rules, where);
  });
  return { decisions };
}

function drive(
  create: (job: Job) => unknown,
  trace: Trace,
  simJob: ReturnType<typeof jobOf>,
  rules: ReturnType<typeof rulesOf>,
  where: string,
): string {
  const job: Job = Object.freeze({
    tickSeconds: simJob.tickSeconds,
    taskSeconds: simJob.taskSeconds,
    deadlineSeconds: simJob.deadlineSeconds,
    restartSeconds: simJob.restartSeconds,
    spotPrice: SPOT_PRICE,
    onDemandPrice: ON_DEMAND_PRICE,
  });
  const policy = create(job);
  if (typeof policy !== "function") {
    throw new Error(
      `${where}: \`${ENTRY}(job)\` returned ${describe(policy)}, not a function (tick) => decision`,
    );
  }
  const sim = new SpotRun(trace, simJob, rules);
  const letters: number[] = [];
  while (!sim.begin()) {
    const tick: Tick = {
      tick: sim.tick,
      elapsed: sim.tick * simJob.tickSeconds,
      timeLeft: simJob.deadlineSeconds - sim.tick * simJob.tickSeconds,
      hasSpot: sim.hasSpot,
      last: NAMES[sim.last] as Decision,
      running: NAMES[sim.running] as Decision,
      done: sim.done,
      remaining: simJob.taskSeconds - sim.done,
      restartLeft: sim.restartLeft,
    };
    let decision: unknown;
    try {
      decision = (policy as Policy)(tick);
    } catch (err) {
      if (err instanceof Error) err.message = `${where}, tick ${sim.tick}: ${err.message}`;
      throw err;
    }
    const kind =
      decision === "SPOT" ? SPOT : decision === "ON_DEMAND" ? ON_DEMAND : decision === "NONE" ? NONE : -1;
    if (kind < 0) {
      throw new Error(
        `${where}, tick ${sim.tick}: the policy returned ${describe(decision)}; expected "SPOT", "ON_DEMAND" or "NONE"`,
      );
    }
    letters.push(KIND_LETTERS.charCodeAt(kind));
    sim.apply(kind as Kind);
  }
  return String.fromCharCode(...letters);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  if (typeof v === "function") return "a function";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return String(v);
}
