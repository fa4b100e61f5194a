/**
 * Runs inside the sandbox, bundled with the candidate: for each run of the
 * workload it creates a policy, drives the tick machine, shows the policy its
 * state every tick and records what it asked for. Scoring is done outside, by
 * task.ts, which replays these requests against its own copy of the traces.
 */
import { describe, drive, ENTRY, entryOf, KIND_NAMES, kindOf } from "../_shared/spot-drive.ts";
import type { Kind, Trace } from "../_shared/spot-sim.ts";
import type { Decision, Job, Tick } from "./api.ts";
import { type EnvInput, jobOf, ON_DEMAND_PRICE, rulesOf, SPOT_PRICE, traceOf } from "./simulator.ts";

export { ENTRY };

export function run(candidate: Record<string, unknown>, input: EnvInput): { decisions: string[] } {
  const create = entryOf(candidate);
  const traces = input.traces.map(traceOf);
  const rules = rulesOf(input.rules);
  const decisions = input.runs.map((spec, i) => {
    const simJob = jobOf(spec);
    const job: Job = Object.freeze({
      tickSeconds: simJob.tickSeconds,
      taskSeconds: simJob.taskSeconds,
      deadlineSeconds: simJob.deadlineSeconds,
      restartSeconds: simJob.restartSeconds,
      spotPrice: SPOT_PRICE,
      onDemandPrice: ON_DEMAND_PRICE,
    });
    return drive({
      create,
      trace: traces[spec.trace] as Trace,
      simJob,
      rules,
      where: `run ${i} (deadline ${spec.deadlineHours} h, restart ${spec.restartHours} h)`,
      job,
      answer: "decision",
      tick: (sim): Tick => ({
        tick: sim.tick,
        elapsed: sim.tick * simJob.tickSeconds,
        timeLeft: simJob.deadlineSeconds - sim.tick * simJob.tickSeconds,
        hasSpot: sim.hasSpot,
        last: KIND_NAMES[sim.last] as Decision,
        running: KIND_NAMES[sim.running] as Decision,
        done: sim.done,
        remaining: simJob.taskSeconds - sim.done,
        restartLeft: sim.restartLeft,
      }),
      decide: (decision, _sim, at) => {
        const kind = kindOf(decision);
        if (kind < 0) {
          throw new Error(
            `${at}: the policy returned ${describe(decision)}; expected "SPOT", "ON_DEMAND" or "NONE"`,
          );
        }
        return { kind: kind as Kind };
      },
    });
  });
  return { decisions };
}
