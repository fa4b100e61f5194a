/**
 * Runs inside the sandbox, bundled with the candidate: for each run of the
 * workload it creates a policy, drives the tick machine, shows the policy its
 * state every tick and records what it asked for and where. Scoring is done
 * outside, by task.ts, which replays these requests against its own copy of
 * the traces.
 */
import { describe, drive, ENTRY, entryOf, KIND_NAMES, kindOf } from "../_shared/spot-drive.ts";
import type { Kind, Trace } from "../_shared/spot-sim.ts";
import type { Decision, Job, Tick } from "./api.ts";
import { JOB, rulesOf, type ScenarioInput, traceOf } from "./simulator.ts";

export { ENTRY };

const { isInteger } = Number;

export function run(candidate: Record<string, unknown>, input: ScenarioInput): { decisions: string[] } {
  const create = entryOf(candidate);
  const traces = new Map<number, Trace>();
  const rules = rulesOf(input.rules);
  const decisions = input.runs.map((index, i) => {
    let trace = traces.get(index);
    if (!trace) {
      trace = traceOf(input.traces[index] as ScenarioInput["traces"][number]);
      traces.set(index, trace);
    }
    const regions = trace.regions;
    const job: Job = Object.freeze({
      regions,
      tickSeconds: JOB.tickSeconds,
      taskSeconds: JOB.taskSeconds,
      deadlineSeconds: JOB.deadlineSeconds,
      restartSeconds: JOB.restartSeconds,
      onDemandPrice: JOB.onDemandPrice,
    });
    return drive({
      create,
      trace,
      simJob: JOB,
      rules,
      where: `run ${i}`,
      job,
      answer: "action",
      tick: (sim): Tick => {
        const spot: boolean[] = new Array(regions);
        const prices: number[] = new Array(regions);
        for (let r = 0; r < regions; r++) {
          spot[r] = sim.spotIn(r);
          prices[r] = sim.priceIn(r);
        }
        return {
          tick: sim.tick,
          elapsed: sim.tick * JOB.tickSeconds,
          timeLeft: JOB.deadlineSeconds - sim.tick * JOB.tickSeconds,
          region: sim.region,
          hasSpot: sim.hasSpot,
          spot,
          prices,
          last: KIND_NAMES[sim.last] as Decision,
          running: KIND_NAMES[sim.running] as Decision,
          done: sim.done,
          remaining: JOB.taskSeconds - sim.done,
          restartLeft: sim.restartLeft,
        };
      },
      decide: (action, sim, at) => {
        let kind = kindOf(action);
        let region = sim.region;
        if (kind < 0 && typeof action === "object" && action !== null) {
          const a = action as { type?: unknown; region?: unknown };
          kind = kindOf(a.type);
          if (a.region !== undefined) {
            const r = a.region;
            if (typeof r !== "number" || !isInteger(r) || r < 0 || r >= regions) {
              throw new Error(
                `${at}: the policy asked for region ${describe(r)}; regions are 0..${regions - 1}`,
              );
            }
            region = r;
          }
        }
        if (kind < 0) {
          const shown =
            typeof action === "object" && action !== null && !Array.isArray(action)
              ? `an object with type ${describe((action as { type?: unknown }).type)}`
              : describe(action);
          throw new Error(
            `${at}: the policy returned ${shown}; expected "SPOT", "ON_DEMAND", "NONE" or { type, region }`,
          );
        }
        return { kind: kind as Kind, region };
      },
    });
  });
  return { decisions };
}
