/**
 * The stress split (`adrs audit`, docs/audit.md): random cases like the
 * published ones (two models per GPU) at 1 to 32 times their size, edge cases
 * and shifted model mixes. Seeded, so the same on every call.
 */
import { type Probe, Rng, type StressWorkload } from "../../src/task/api.ts";
import { GPU_MEMORY_GB, type ModelSpec, type PrismInput } from "./workloads.ts";

const STRESS_SEED = 0x9715_2026;
const TRAIN_GPUS = 8;
export const SCALES = [1, 2, 4, 8, 16, 32] as const;

interface Mix {
  size: () => number;
  rate: () => number;
  slo: () => number;
}

function models(count: number, mix: Mix): ModelSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    modelName: `model_${i}`,
    modelSize: mix.size(),
    reqRate: mix.rate(),
    slo: mix.slo(),
    curGpuId: i,
  }));
}

function workload(
  id: string,
  gpuNum: number,
  list: ModelSpec[],
  probe: Omit<Probe, "size">,
): StressWorkload<PrismInput> {
  return {
    id,
    split: "stress",
    input: { gpuNum, gpuMemory: GPU_MEMORY_GB, models: list },
    probe: { ...probe, size: list.length },
  };
}

/** Like the published cases: 10–30 GB models, 1–10 req/s, SLO 5–9. */
function published(rng: Rng): Mix {
  return { size: () => 10 + rng.int(21), rate: () => 1 + rng.int(10), slo: () => 5 + rng.int(5) };
}

export function stressWorkloads(): StressWorkload<PrismInput>[] {
  const root = new Rng(STRESS_SEED);
  const out: StressWorkload<PrismInput>[] = [];
  for (const scale of SCALES) {
    const gpus = TRAIN_GPUS * scale;
    out.push(
      workload(`published_x${scale}`, gpus, models(2 * gpus, published(root.fork(`x${scale}`))), {
        kind: "scale",
        family: "published",
        what: `${gpus} GPUs, ${2 * gpus} models (${scale}x train)`,
      }),
    );
  }
  const rng = root.fork("edge");
  out.push(workload("no_models", 4, [], { kind: "edge", what: "4 GPUs, no models" }));
  out.push(workload("one_model", 1, models(1, published(rng)), { kind: "edge", what: "1 GPU, 1 model" }));
  out.push(
    workload("near_full", 8, models(15, { size: () => 40, rate: () => 5, slo: () => 7 }), {
      kind: "edge",
      what: "15 models of 40 GB on 8 GPUs (one slot left)",
    }),
  );
  out.push(
    workload("identical", 8, models(24, { size: () => 20, rate: () => 4, slo: () => 6 }), {
      kind: "edge",
      what: "24 identical models (every choice ties)",
    }),
  );
  const hot = models(16, published(rng));
  (hot[0] as ModelSpec).reqRate = 1_000_000;
  out.push(
    workload("one_hot_model", 8, hot, {
      kind: "edge",
      what: "one model with 1,000,000 req/s (extreme rate)",
    }),
  );
  out.push(workload("more_gpus", 64, models(8, published(rng)), { kind: "edge", what: "64 GPUs, 8 models" }));
  const shift = root.fork("shift");
  out.push(
    workload(
      "heavy_tail",
      16,
      models(32, {
        size: () => 10 + shift.int(21),
        rate: () => Math.ceil(1 / (1 - shift.next()) ** 2),
        slo: () => 5 + shift.int(5),
      }),
      { kind: "shift", what: "Pareto request rates (a few models carry most demand)" },
    ),
  );
  out.push(
    workload(
      "large_models",
      16,
      models(16, {
        size: () => 50 + shift.int(21),
        rate: () => 1 + shift.int(10),
        slo: () => 5 + shift.int(5),
      }),
      { kind: "shift", what: "one 50–70 GB model per GPU (no room to pair)" },
    ),
  );
  out.push(
    workload(
      "tiny_models",
      8,
      models(200, {
        size: () => 0.5 + shift.next(),
        rate: () => 1 + shift.int(10),
        slo: () => 5 + shift.int(5),
      }),
      { kind: "shift", what: "200 models of 0.5–1.5 GB on 8 GPUs" },
    ),
  );
  return out;
}
