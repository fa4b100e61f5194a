/**
 * The stress split (`adrs audit`, docs/audit.md): 16-layer windows with 1
 * to 16 times the experts, slots and GPUs of DeepSeek-V3's deployment, edge
 * cases (no tokens, one hot expert, uniform loads, huge counts) and a regime
 * shift between the window seen and the window simulated. Each placement is
 * simulated on the window after its own, as in train. Seeded.
 */
import { type Probe, Rng, type StressWorkload } from "../../src/task/api.ts";
import { type EplbInput, generateTrace, rememberNext, SHAPE } from "./workloads.ts";

const STRESS_SEED = 0x57e5_e91b;
const LAYERS = 16;
export const SCALES = [1, 2, 4, 8, 16] as const;

function workload(
  id: string,
  seen: number[][],
  next: number[][],
  scale: number,
  probe: Omit<Probe, "size">,
): StressWorkload<EplbInput> {
  const input: EplbInput = {
    weight: seen,
    numReplicas: SHAPE.replicas * scale,
    numGroups: SHAPE.groups,
    numNodes: SHAPE.nodes,
    numGpus: SHAPE.gpus * scale,
  };
  rememberNext(input, next);
  const experts = seen[0]?.length ?? 0;
  return { id, split: "stress", input, probe: { ...probe, size: LAYERS * experts } };
}

/** Two consecutive windows of a generated trace. */
function windows(rng: Rng, experts: number): [number[][], number[][]] {
  const trace = generateTrace(rng, { layers: LAYERS, experts, windows: 2, stepsPerWindow: 100 });
  return [trace[0] as number[][], trace[1] as number[][]];
}

const filled = (experts: number, value: (e: number) => number) =>
  Array.from({ length: LAYERS }, () => Array.from({ length: experts }, (_, e) => value(e)));

let cached: StressWorkload<EplbInput>[] | null = null;

export function stressWorkloads(): StressWorkload<EplbInput>[] {
  // Once per process: check finds each window's successor by its input object.
  if (cached) return cached;
  const root = new Rng(STRESS_SEED);
  const out: StressWorkload<EplbInput>[] = [];
  const E = SHAPE.experts;
  for (const scale of SCALES) {
    const [seen, next] = windows(root.fork(`x${scale}`), E * scale);
    out.push(
      workload(`experts_x${scale}`, seen, next, scale, {
        kind: "scale",
        family: "experts",
        what: `${LAYERS} layers of ${E * scale} experts on ${SHAPE.replicas * scale} slots, ${SHAPE.gpus * scale} GPUs (${scale}x train per layer)`,
      }),
    );
  }
  const [seen, next] = windows(root.fork("edge"), E);
  out.push(
    workload(
      "no_tokens",
      filled(E, () => 0),
      next,
      1,
      { kind: "edge", what: "a window in which no token was routed" },
    ),
  );
  out.push(
    workload(
      "one_hot_expert",
      filled(E, (e) => (e === 7 ? 100_000 : 0)),
      next,
      1,
      {
        kind: "edge",
        what: "every token routed to one expert per layer",
      },
    ),
  );
  out.push(
    workload(
      "uniform",
      filled(E, () => 1000),
      next,
      1,
      { kind: "edge", what: "the same load on every expert (ties)" },
    ),
  );
  out.push(
    workload(
      "huge_counts",
      seen.map((l) => l.map((x) => x * 1e9)),
      next,
      1,
      {
        kind: "edge",
        what: "token counts a billion times larger (extreme values)",
      },
    ),
  );
  const [, other] = windows(root.fork("shift"), E);
  out.push(
    workload("regime_flip", seen, other, 1, {
      kind: "shift",
      what: "simulated on a window of an unrelated trace (the popular experts change)",
    }),
  );
  const skewed = seen.map((l) => l.map((x, e) => (e < E / 8 ? x * 50 : x)));
  out.push(
    workload("skewed", skewed, next, 1, {
      kind: "shift",
      what: "the first eighth of the experts 50 times hotter than in train",
    }),
  );
  cached = out;
  return out;
}
