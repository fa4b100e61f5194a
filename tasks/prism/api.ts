/**
 * What a candidate program may import (as `./api.ts`). It runs inside the
 * sandbox with the candidate, so nothing here is trusted: the placement is
 * validated and measured outside by task.ts.
 */
import { Rng } from "../../src/task/api.ts";

export type { Rng };

/** Memory of every GPU, in GB. */
export const GPU_MEMORY = 80;

/** A model to place. The program returns these same objects, grouped by GPU. */
export interface Model {
  readonly modelName: string;
  /** GB of GPU memory its weights take. */
  readonly modelSize: number;
  /** Requests per second. */
  readonly reqRate: number;
  /** Latency objective. */
  readonly slo: number;
  /** The GPU it is on now. */
  readonly curGpuId: number;
}

/** A seeded random generator, for a randomised program that must still be deterministic. */
export function rng(seed: number): Rng {
  return new Rng(seed);
}
