/**
 * What a candidate program may import (as `./api.ts`). It runs inside the
 * sandbox with the candidate, so nothing here is trusted: the placement is
 * validated and simulated outside by task.ts.
 */
import { Rng } from "../../src/task/api.ts";

export type { Rng };

/** Loads of one window: `weight[l][e]` tokens were routed to logical expert `e` of MoE layer `l`. */
export type Weights = readonly (readonly number[])[];

/** What `rebalanceExperts` returns for one window. */
export interface Placement {
  /** `phy2log[l][p]`: the logical expert held by physical slot `p` of layer `l` (`numReplicas` slots). */
  phy2log: ArrayLike<number>[];
  /** `log2phy[l][e]`: the slots holding expert `e`'s replicas, one per replica; may end in −1 padding. */
  log2phy: ArrayLike<number>[][];
  /** `logcnt[l][e]`: the number of replicas of expert `e` in layer `l`. */
  logcnt: ArrayLike<number>[];
}

/** A seeded random generator, for a randomised program that must still be deterministic. */
export function rng(seed: number): Rng {
  return new Rng(seed);
}
