import type { Model } from "./api.ts";

// EVOLVE-BLOCK-START
/** Round-robin: model i on GPU i mod gpuNum, whatever its size or load. The score's 0. */
export function computeModelPlacement(gpuNum: number, models: readonly Model[]): Model[][] {
  const placement: Model[][] = Array.from({ length: gpuNum }, () => []);
  models.forEach((model, i) => {
    (placement[i % gpuNum] as Model[]).push(model);
  });
  return placement;
}
// EVOLVE-BLOCK-END
