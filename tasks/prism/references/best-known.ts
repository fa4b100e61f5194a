import type { Model } from "./api.ts";

// EVOLVE-BLOCK-START
const GPU_MEM_SIZE = 80; // GB

/**
 * Best known, built from the published ideas: parametric bin packing. A GPU
 * holding models of total demand D = Σ req_rate/slo and total size S has
 * pressure ≤ k exactly when D + k·S ≤ k·GPU_MEM_SIZE, so for a fixed target k
 * placing the models is bin packing with item weights d + k·s and capacity
 * k·GPU_MEM_SIZE. A binary search finds the smallest k some packing reaches
 * (best-fit decreasing under several item orders), then a hill climb moves
 * or swaps models off the GPU with the highest pressure while that lowers it.
 */
const SEARCH_STEPS = 40;
const PERTURBED_ORDERS = 3;
const PERTURBATION = 0.15;
const CLIMB_ROUNDS = 200;

interface Items {
  n: number;
  demand: Float64Array;
  size: Float64Array;
}

/** Deterministic noise in [0, 1) for item i of perturbed order r. */
function hash01(i: number, r: number): number {
  let h = Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(r + 1, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h ^= h >>> 13;
  return (h >>> 0) / 4294967296;
}

/** Best-fit decreasing at target k in the given item order: GPU per item, or null if some item does not fit. */
function pack(items: Items, gpuNum: number, k: number, order: readonly number[]): Int32Array | null {
  const capacity = k * GPU_MEM_SIZE;
  const load = new Float64Array(gpuNum);
  const memory = new Float64Array(gpuNum);
  const gpuOf = new Int32Array(items.n);
  for (const i of order) {
    const weight = (items.demand[i] as number) + k * (items.size[i] as number);
    let best = -1;
    let bestLeft = Number.POSITIVE_INFINITY;
    for (let g = 0; g < gpuNum; g++) {
      if ((memory[g] as number) + (items.size[i] as number) >= GPU_MEM_SIZE) continue;
      const left = capacity - (load[g] as number) - weight;
      if (left >= 0 && left < bestLeft) {
        bestLeft = left;
        best = g;
      }
    }
    if (best < 0) return null;
    gpuOf[i] = best;
    load[best] = (load[best] as number) + weight;
    memory[best] = (memory[best] as number) + (items.size[i] as number);
  }
  return gpuOf;
}

function orders(items: Items, k: number): number[][] {
  const ids = Array.from({ length: items.n }, (_, i) => i);
  const by = (key: (i: number) => number) => [...ids].sort((a, b) => key(b) - key(a) || a - b);
  const weight = (i: number) => (items.demand[i] as number) + k * (items.size[i] as number);
  const result = [
    by(weight),
    by((i) => items.size[i] as number),
    by((i) => items.demand[i] as number),
    by((i) => (items.demand[i] as number) / (items.size[i] as number)),
  ];
  for (let r = 0; r < PERTURBED_ORDERS; r++) {
    result.push(by((i) => weight(i) * (1 + PERTURBATION * (hash01(i, r) - 0.5))));
  }
  return result;
}

function pressures(items: Items, gpuNum: number, gpuOf: Int32Array): Float64Array {
  const demand = new Float64Array(gpuNum);
  const memory = new Float64Array(gpuNum);
  for (let i = 0; i < items.n; i++) {
    const g = gpuOf[i] as number;
    demand[g] = (demand[g] as number) + (items.demand[i] as number);
    memory[g] = (memory[g] as number) + (items.size[i] as number);
  }
  const p = new Float64Array(gpuNum);
  for (let g = 0; g < gpuNum; g++) {
    const free = GPU_MEM_SIZE - (memory[g] as number);
    p[g] =
      (demand[g] as number) === 0 ? 0 : free <= 0 ? Number.POSITIVE_INFINITY : (demand[g] as number) / free;
  }
  return p;
}

function maxOf(p: Float64Array): number {
  let m = 0;
  for (const x of p) if (x > m) m = x;
  return m;
}

/** Moves one model off the most pressured GPU, or swaps one with another GPU, while that lowers the maximum. */
function climb(items: Items, gpuNum: number, gpuOf: Int32Array): void {
  for (let round = 0; round < CLIMB_ROUNDS; round++) {
    const p = pressures(items, gpuNum, gpuOf);
    const current = maxOf(p);
    let hot = 0;
    for (let g = 1; g < gpuNum; g++) if ((p[g] as number) > (p[hot] as number)) hot = g;
    let bestMax = current;
    // The best change: item `moved` to GPU `target`, swapped with item `swapped` (−1: a plain move).
    let moved = -1;
    let target = -1;
    let swapped = -1;
    const tryAssignment = (i: number, to: number, j: number) => {
      gpuOf[i] = to;
      if (j >= 0) gpuOf[j] = hot;
      const m = maxOf(pressures(items, gpuNum, gpuOf));
      gpuOf[i] = hot;
      if (j >= 0) gpuOf[j] = to;
      if (m < bestMax - 1e-12) {
        bestMax = m;
        moved = i;
        target = to;
        swapped = j;
      }
    };
    for (let i = 0; i < items.n; i++) {
      if (gpuOf[i] !== hot) continue;
      for (let to = 0; to < gpuNum; to++) {
        if (to === hot) continue;
        tryAssignment(i, to, -1);
        for (let j = 0; j < items.n; j++) if (gpuOf[j] === to) tryAssignment(i, to, j);
      }
    }
    if (moved < 0) return;
    gpuOf[moved] = target;
    if (swapped >= 0) gpuOf[swapped] = hot;
  }
}

export function computeModelPlacement(gpuNum: number, models: readonly Model[]): Model[][] {
  const n = models.length;
  const items: Items = {
    n,
    demand: Float64Array.from(models, (m) => m.reqRate / m.slo),
    size: Float64Array.from(models, (m) => m.modelSize),
  };
  let totalDemand = 0;
  let totalSize = 0;
  for (let i = 0; i < n; i++) {
    totalDemand += items.demand[i] as number;
    totalSize += items.size[i] as number;
  }
  // No placement beats all demand over all free memory.
  let lo = totalDemand / (gpuNum * GPU_MEM_SIZE - totalSize);
  let hi = lo > 0 ? lo : 1e-9;
  let best: Int32Array | null = null;
  const attempt = (k: number): Int32Array | null => {
    for (const order of orders(items, k)) {
      const gpuOf = pack(items, gpuNum, k, order);
      if (gpuOf) return gpuOf;
    }
    return null;
  };
  // Double the target until some packing meets it, then bisect.
  for (let tries = 0; best === null && tries < 64; tries++) {
    hi *= 2;
    best = attempt(hi);
  }
  if (best === null) throw new Error("no placement fits the GPUs' memory");
  for (let step = 0; step < SEARCH_STEPS; step++) {
    const mid = 0.5 * (lo + hi);
    const found = attempt(mid);
    if (found) {
      best = found;
      hi = mid;
    } else {
      lo = mid;
    }
  }
  climb(items, gpuNum, best);
  const placement: Model[][] = Array.from({ length: gpuNum }, () => []);
  for (let i = 0; i < n; i++) (placement[best[i] as number] as Model[]).push(models[i] as Model);
  return placement;
}
// EVOLVE-BLOCK-END
