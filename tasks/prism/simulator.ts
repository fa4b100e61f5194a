/**
 * Trusted model-placement measurement: KV-cache pressure per GPU, the
 * round-robin and lower-bound anchors of a case, and validation of a
 * placement. The program's output is only a list of model indices per GPU;
 * every number here is recomputed from the case itself.
 */
import type { PrismInput } from "./workloads.ts";

/** Pressure of a GPU whose models leave it no free memory (the published evaluator's value). */
export const FULL_GPU_PRESSURE = 1_000_000;

/** KV-cache pressure of one GPU: Σ(req_rate / slo) / (free memory); 0 when empty. */
export function gpuPressure(input: PrismInput, models: readonly number[]): number {
  if (models.length === 0) return 0;
  let demand = 0;
  let used = 0;
  for (const i of models) {
    const m = input.models[i];
    if (m === undefined) throw new RangeError(`model index ${i} out of range`);
    demand += m.reqRate / m.slo;
    used += m.modelSize;
  }
  const free = input.gpuMemory - used;
  return free <= 0 ? FULL_GPU_PRESSURE : demand / free;
}

/** The largest pressure over the GPUs of a placement. */
export function maxPressure(input: PrismInput, gpus: readonly (readonly number[])[]): number {
  let worst = 0;
  for (const g of gpus) worst = Math.max(worst, gpuPressure(input, g));
  return worst;
}

/** Model i on GPU i mod gpuNum: the score's 0 anchor. */
export function roundRobin(input: PrismInput): number[][] {
  const gpus: number[][] = Array.from({ length: input.gpuNum }, () => []);
  input.models.forEach((_, i) => {
    (gpus[i % input.gpuNum] as number[]).push(i);
  });
  return gpus;
}

/** All demand over all free memory, as if the GPUs were one: no placement can beat it. */
export function idealPressure(input: PrismInput): number {
  let demand = 0;
  let used = 0;
  for (const m of input.models) {
    demand += m.reqRate / m.slo;
    used += m.modelSize;
  }
  return demand / (input.gpuNum * input.gpuMemory - used);
}

/** The published per-case score: 100 · √(clamp((base − sol) / (base − ideal), 0, 1)). */
export function caseScore(solution: number, base: number, ideal: number): number {
  const span = base - ideal;
  if (!(span > 0)) return solution <= base ? 100 : 0;
  const x = Math.min(1, Math.max(0, (base - solution) / span));
  return 100 * Math.sqrt(x);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  if (typeof v === "object") return "an object";
  return String(v);
}

export type Checked = { ok: true; gpus: number[][] } | { ok: false; error: string };

/**
 * Validates the driver's output `{ gpus }`: one list per GPU, each entry the
 * index of a model of the case (−1 marks an object that was not one of the
 * models handed to the program), every model exactly once, no GPU over its
 * memory.
 */
export function checkPlacement(output: unknown, input: PrismInput): Checked {
  const n = input.models.length;
  if (typeof output !== "object" || output === null || Array.isArray(output) || !("gpus" in output)) {
    return { ok: false, error: `output must be an object { gpus }, got ${describe(output)}` };
  }
  const gpus: unknown = output.gpus;
  if (!Array.isArray(gpus))
    return { ok: false, error: `the placement must be an array of GPU lists, got ${describe(gpus)}` };
  if (gpus.length !== input.gpuNum) {
    return {
      ok: false,
      error: `the placement has ${gpus.length} GPU lists, expected ${input.gpuNum} (one per GPU)`,
    };
  }
  const placedOn = new Int32Array(n).fill(-1);
  for (let g = 0; g < gpus.length; g++) {
    const list: unknown = gpus[g];
    if (!Array.isArray(list))
      return { ok: false, error: `GPU ${g}: expected a list of models, got ${describe(list)}` };
    if (list.length > n)
      return { ok: false, error: `GPU ${g} lists ${list.length} models, but the case has ${n}` };
    let used = 0;
    for (let j = 0; j < list.length; j++) {
      const i: unknown = list[j];
      if (i === -1) {
        return {
          ok: false,
          error: `GPU ${g}, entry ${j}: not one of the model objects passed to the program`,
        };
      }
      if (typeof i !== "number" || !Number.isInteger(i) || i < 0 || i >= n) {
        return { ok: false, error: `GPU ${g}, entry ${j}: ${describe(i)} is not a model of this case` };
      }
      const before = placedOn[i] as number;
      if (before >= 0) {
        const name = input.models[i]?.modelName ?? String(i);
        return { ok: false, error: `model ${name} is placed twice (GPU ${before} and GPU ${g})` };
      }
      placedOn[i] = g;
      used += input.models[i]?.modelSize ?? 0;
    }
    if (used > input.gpuMemory) {
      return { ok: false, error: `GPU ${g} holds ${used} GB of models, more than its ${input.gpuMemory} GB` };
    }
  }
  const missing: string[] = [];
  for (let i = 0; i < n; i++)
    if ((placedOn[i] as number) < 0) missing.push(input.models[i]?.modelName ?? String(i));
  if (missing.length > 0) {
    return {
      ok: false,
      error: `not placed: ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""}`,
    };
  }
  return { ok: true, gpus: gpus as number[][] };
}
