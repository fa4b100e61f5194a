import type { Rng } from "../core/rng.ts";
import type { Program } from "../core/types.ts";

/** What a strategy hands the proposer: the parent to change and programs to learn from. */
export interface Selection {
  parent: Program;
  inspirations: Program[];
  island: number;
}

/** Changes of population state a strategy reports so the engine can store them. */
export type StrategyEvent = { type: "program_migrated"; programId: string; from: number; to: number };

/**
 * A search strategy keeps the population and decides what to try next.
 * `ingest` must be deterministic (no randomness, no clock): a resumed run
 * rebuilds the strategy by ingesting the stored programs in their stored order.
 * All randomness of `select` comes from the engine's RNG.
 */
export interface Strategy {
  readonly name: string;
  select(rng: Rng): Selection;
  ingest(program: Program): StrategyEvent[];
  best(): Program | undefined;
  size(): number;
  /** A JSON-able picture of the population (islands, grid occupancy) for status and the dashboard. */
  describe(): unknown;
}
