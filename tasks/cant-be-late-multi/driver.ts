/**
 * Runs inside the sandbox, bundled with the candidate: for each run of the
 * workload it creates a policy, drives the tick machine, shows the policy its
 * state every tick and records what it asked for and where. Scoring is done
 * outside, by task.ts, which replays these requests against its own copy of
 * the traces.
 */
import { KIND_LETTERS, type Kind, NONE, ON_DEMAND, SPOT, SpotRun, type Trace } from "../_shared/spot-sim.ts";
import type { Decision, Job, Policy, Tick } from "./api.ts";
import { JOB, rulesOf, type ScenarioInput, traceOf } from "./simulator.ts";

export const ENTRY = "createPolicy";

const NAMES: readonly Decision[] = ["NONE", "SPOT", "ON_DEMAND"];
const DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz";
const { isInteger } = Number;

export function run(candidate: Record<string, unknown>, input: ScenarioInput): { decisions: string[] } {
  const create = candidate[ENTRY];
  if (typeof create !== "function") {
    throw new Error(`the program must export a function \`${ENTRY}(job)\` that returns the policy`);
  }
  const traces = new Map<number, Trace>();
  const rules = rulesOf(input.rules);
  const decisions = input.runs.map((index, i) => {
    let trace = traces.get(index);
    if (!trace) {
      trace = traceOf(input.traces[index] as ScenarioInput["traces"][number]);
      traces.set(index, trace);
    }
    return drive(create as (job: Job) => unknown, trace, rules, `run ${i}`);
  });
  return { decisions };
}

function kindOf(d: unknown): Kind | -1 {
  return d === "SPOT" ? SPOT : d === "ON_DEMAND" ? ON_DEMAND : d === "NONE" ? NONE : -1;
}

function drive(
  create: (job: Job) => unknown,
  trace: Trace,
  rules: ReturnType<typeof rulesOf>,
  where: string,
): string {
  const regions = trace.regions;
  const job: Job = Object.freeze({
    regions,
    tickSeconds: JOB.tickSeconds,
    taskSeconds: JOB.taskSeconds,
    deadlineSeconds: JOB.deadlineSeconds,
    restartSeconds: JOB.restartSeconds,
    onDemandPrice: JOB.onDemandPrice,
  });
  const policy = create(job);
  if (typeof policy !== "function") {
    throw new Error(
      `${where}: \`${ENTRY}(job)\` returned ${describe(policy)}, not a function (tick) => action`,
    );
  }
  const sim = new SpotRun(trace, JOB, rules);
  const letters: number[] = [];
  while (!sim.begin()) {
    const spot: boolean[] = new Array(regions);
    const prices: number[] = new Array(regions);
    for (let r = 0; r < regions; r++) {
      spot[r] = sim.spotIn(r);
      prices[r] = sim.priceIn(r);
    }
    const tick: Tick = {
      tick: sim.tick,
      elapsed: sim.tick * JOB.tickSeconds,
      timeLeft: JOB.deadlineSeconds - sim.tick * JOB.tickSeconds,
      region: sim.region,
      hasSpot: sim.hasSpot,
      spot,
      prices,
      last: NAMES[sim.last] as Decision,
      running: NAMES[sim.running] as Decision,
      done: sim.done,
      remaining: JOB.taskSeconds - sim.done,
      restartLeft: sim.restartLeft,
    };
    let action: unknown;
    try {
      action = (policy as Policy)(tick);
    } catch (err) {
      if (err instanceof Error) err.message = `${where}, tick ${sim.tick}: ${err.message}`;
      throw err;
    }
    let kind = kindOf(action);
    let region = sim.region;
    if (kind < 0 && typeof action === "object" && action !== null) {
      const a = action as { type?: unknown; region?: unknown };
      kind = kindOf(a.type);
      if (a.region !== undefined) {
        const r = a.region;
        if (typeof r !== "number" || !isInteger(r) || r < 0 || r >= regions) {
          throw new Error(
            `${where}, tick ${sim.tick}: the policy asked for region ${describe(r)}; regions are 0..${regions - 1}`,
          );
        }
        region = r;
      }
    }
    if (kind < 0) {
      throw new Error(
        `${where}, tick ${sim.tick}: the policy returned ${describe(action)}; expected "SPOT", "ON_DEMAND", "NONE" or { type, region }`,
      );
    }
    letters.push(KIND_LETTERS.charCodeAt(kind), DIGITS.charCodeAt(region));
    sim.apply(kind as Kind, region);
  }
  return String.fromCharCode(...letters);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  if (typeof v === "function") return "a function";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return `an object with type ${describe((v as { type?: unknown }).type)}`;
  return String(v);
}
