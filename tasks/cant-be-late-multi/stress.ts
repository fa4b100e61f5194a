/**
 * The stress split (`adrs audit`, docs/audit.md): synthetic Markov traces
 * over 2 to 32 regions (the train split has at most 5), edge cases (one
 * region, spot nowhere, everywhere, flapping out of phase, a region ten times
 * dearer) and shifted availability. Seeded, so the same on every call.
 */
import { type Probe, Rng, type StressWorkload } from "../../src/task/api.ts";
import { flapping, markovAvailability } from "../_shared/spot-stress.ts";
import {
  ANCHOR_SPOT_PRICE,
  DEADLINE_HOURS,
  type RegionTraces,
  type ScenarioInput,
  TICK_SECONDS,
} from "./simulator.ts";

const STRESS_SEED = 0xcb1b_2026;
const TICKS = Math.round((DEADLINE_HOURS * 3600) / TICK_SECONDS) + 2;
/** Trace indices per workload, as in the train split's larger scenarios. */
const RUNS = 8;
export const SCALES = [1, 2, 4, 8, 16] as const;

/** Prices drifting around the anchor spot price, one list per region. */
function prices(rng: Rng, factor = 1): number[] {
  let p = ANCHOR_SPOT_PRICE * factor;
  return Array.from({ length: TICKS }, () => {
    p = Math.min(3 * factor, Math.max(0.3 * factor, p * (1 + 0.02 * rng.normal())));
    return p;
  });
}

type TraceMaker = (rng: Rng, region: number) => { available: string; factor?: number };

function workload(
  id: string,
  regions: number,
  make: TraceMaker,
  rng: Rng,
  probe: Omit<Probe, "size">,
  runs = RUNS,
): StressWorkload<ScenarioInput> {
  const traces: RegionTraces[] = Array.from({ length: runs }, (_, t) => {
    const per = Array.from({ length: regions }, (_, r) => make(rng, r));
    return { id: t, available: per.map((p) => p.available), prices: per.map((p) => prices(rng, p.factor)) };
  });
  const input: ScenarioInput = {
    regions: Array.from({ length: regions }, (_, r) => `region-${r}`),
    traces,
    runs: [...traces.keys(), 0],
  };
  return { id, split: "stress", input, probe: { ...probe, size: regions } };
}

const markov =
  (up: number, run: number): TraceMaker =>
  (rng) => ({ available: markovAvailability(rng, TICKS, up, run) });

export function stressWorkloads(): StressWorkload<ScenarioInput>[] {
  const root = new Rng(STRESS_SEED);
  const out: StressWorkload<ScenarioInput>[] = [];
  for (const scale of SCALES) {
    const regions = 2 * scale;
    out.push(
      workload(`regions_x${scale}`, regions, markov(0.5, 15), root.fork(`x${scale}`), {
        kind: "scale",
        family: "regions",
        what: `${regions} regions, ${RUNS} runs, spot 50% available in each`,
      }),
    );
  }
  const edge = root.fork("edge");
  out.push(workload("one_region", 1, markov(0.6, 12), edge, { kind: "edge", what: "a single region" }));
  out.push(
    workload("never_spot", 3, () => ({ available: "0".repeat(TICKS) }), edge, {
      kind: "edge",
      what: "spot available nowhere",
    }),
  );
  out.push(
    workload("always_spot", 3, () => ({ available: "1".repeat(TICKS) }), edge, {
      kind: "edge",
      what: "spot available everywhere, always",
    }),
  );
  out.push(
    workload(
      "out_of_phase",
      2,
      (_, r) => ({ available: r === 0 ? flapping(TICKS) : `0${flapping(TICKS - 1)}` }),
      edge,
      { kind: "edge", what: "two regions flapping out of phase (spot always somewhere, never stays)" },
    ),
  );
  out.push(
    workload(
      "dear_region",
      3,
      (rng, r) => ({
        available: markovAvailability(rng, TICKS, r === 0 ? 0.95 : 0.4, 12),
        factor: r === 0 ? 10 : 1,
      }),
      edge,
      {
        kind: "edge",
        what: "the best-available region's spot costs ten times more (extreme prices)",
      },
    ),
  );
  const shift = root.fork("shift");
  out.push(
    workload("scarce", 4, markov(0.1, 40), shift, {
      kind: "shift",
      what: "spot 10% available in long outages",
    }),
  );
  out.push(
    workload("choppy", 4, markov(0.8, 1.5), shift, {
      kind: "shift",
      what: "spot 80% available, outages of one or two ticks",
    }),
  );
  return out;
}
