/**
 * The stress split (`adrs audit`, docs/audit.md): synthetic Markov traces
 * with 1 to 16 times the train's runs per environment, edge cases (spot never,
 * always, flapping; the tightest deadline; long restarts) and shifted
 * availability. Seeded, so the same on every call.
 */
import { type Probe, Rng, type StressWorkload } from "../../src/task/api.ts";
import { flapping, markovAvailability } from "../_shared/spot-stress.ts";
import { DEADLINE_HOURS, type EnvInput, RESTART_HOURS, type RunSpec, TICK_SECONDS } from "./simulator.ts";

const STRESS_SEED = 0xcb1a_2026;
/** Ticks per trace: past the longest deadline. */
const TICKS = Math.ceil((Math.max(...DEADLINE_HOURS) * 3600) / TICK_SECONDS) + 10;
/** Runs of one train environment: 9 traces × 2 deadlines × 3 overheads. */
const TRAIN_RUNS = 54;
export const SCALES = [1, 2, 4, 8, 16] as const;

/** Every trace under every listed deadline and overhead, the first run repeated at the end (task.ts checks it). */
function workload(
  id: string,
  traces: string[],
  probe: Omit<Probe, "size">,
  deadlines: readonly number[] = DEADLINE_HOURS,
  overheads: readonly number[] = RESTART_HOURS,
): StressWorkload<EnvInput> {
  const runs: RunSpec[] = [];
  traces.forEach((_, trace) => {
    for (const deadlineHours of deadlines)
      for (const restartHours of overheads) runs.push({ trace, deadlineHours, restartHours });
  });
  runs.push({ ...(runs[0] as RunSpec) });
  const input: EnvInput = { traces, traceIds: traces.map((_, i) => `${id}_${i}`), runs };
  return { id, split: "stress", input, probe: { ...probe, size: runs.length - 1 } };
}

export function stressWorkloads(): StressWorkload<EnvInput>[] {
  const root = new Rng(STRESS_SEED);
  const out: StressWorkload<EnvInput>[] = [];
  const perTrace = DEADLINE_HOURS.length * RESTART_HOURS.length;
  for (const scale of SCALES) {
    const rng = root.fork(`x${scale}`);
    const count = (TRAIN_RUNS * scale) / perTrace;
    const traces = Array.from({ length: count }, () => markovAvailability(rng, TICKS, 0.6, 12));
    out.push(
      workload(`markov_x${scale}`, traces, {
        kind: "scale",
        family: "markov",
        what: `${count * perTrace} runs on Markov traces, 60% available (${scale}x train)`,
      }),
    );
  }
  out.push(workload("never_spot", ["0".repeat(TICKS)], { kind: "edge", what: "spot never available" }));
  out.push(workload("always_spot", ["1".repeat(TICKS)], { kind: "edge", what: "spot always available" }));
  out.push(
    workload("flapping", [flapping(TICKS)], { kind: "edge", what: "spot available every other tick" }),
  );
  const edge = root.fork("edge");
  out.push(
    workload(
      "tight_deadline",
      [markovAvailability(edge, TICKS, 0.6, 12)],
      {
        kind: "edge",
        what: "deadline 48.5 h for 48 h of work (no slack)",
      },
      [48.5],
    ),
  );
  out.push(
    workload(
      "long_restart",
      [markovAvailability(edge, TICKS, 0.6, 12)],
      {
        kind: "edge",
        what: "restart overhead 2 h (extreme)",
      },
      DEADLINE_HOURS,
      [2],
    ),
  );
  const shift = root.fork("shift");
  out.push(
    workload(
      "scarce",
      Array.from({ length: 6 }, () => markovAvailability(shift, TICKS, 0.15, 40)),
      {
        kind: "shift",
        what: "spot 15% available in long outages",
      },
    ),
  );
  out.push(
    workload(
      "choppy",
      Array.from({ length: 6 }, () => markovAvailability(shift, TICKS, 0.8, 1.5)),
      {
        kind: "shift",
        what: "spot 80% available, outages of one or two ticks",
      },
    ),
  );
  return out;
}
