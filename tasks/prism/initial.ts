import type { Model } from "./api.ts";

// EVOLVE-BLOCK-START
const GPU_MEM_SIZE = 80; // GB

/**
 * Prism's greedy placement (Algorithm 1, without the τ check): models in
 * descending order of req_rate / slo, each onto the GPU with the lowest
 * current KV-cache pressure among those with room for it.
 */
export function computeModelPlacement(gpuNum: number, models: readonly Model[]): Model[][] {
  const sorted = [...models].sort((a, b) => b.reqRate / b.slo - a.reqRate / a.slo);
  const placement: Model[][] = Array.from({ length: gpuNum }, () => []);
  const freeMemory = new Array<number>(gpuNum).fill(GPU_MEM_SIZE);
  const demand = new Array<number>(gpuNum).fill(0);
  for (const model of sorted) {
    let best = -1;
    let bestPressure = Number.POSITIVE_INFINITY;
    for (let g = 0; g < gpuNum; g++) {
      const free = freeMemory[g] as number;
      if (model.modelSize <= free && free > 0) {
        const pressure = (demand[g] as number) / free;
        if (pressure < bestPressure) {
          bestPressure = pressure;
          best = g;
        }
      }
    }
    if (best < 0) {
      throw new Error(
        `Unable to place model ${model.modelName} of size ${model.modelSize} GB on any GPU; free memory: ${freeMemory.join(", ")}`,
      );
    }
    (placement[best] as Model[]).push(model);
    demand[best] = (demand[best] as number) + model.reqRate / model.slo;
    freeMemory[best] = (freeMemory[best] as number) - model.modelSize;
  }
  return placement;
}
// EVOLVE-BLOCK-END
