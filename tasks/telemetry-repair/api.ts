/**
 * What a candidate program may import (as `./api.ts`): the types of the
 * readings and of the answer, and a seeded generator. It runs inside the
 * sandbox with the candidate; the answer is validated and scored outside by
 * task.ts.
 */
import { Rng } from "../../src/task/api.ts";

export type {
  InterfaceReading,
  InterfaceRepair,
  Repair,
  Repaired,
  Status,
  Telemetry,
  Topology,
} from "./telemetry.ts";
export type { Rng };

/** A seeded random generator, so a randomised program gives the same answer on every run. */
export function rng(seed: number): Rng {
  return new Rng(seed);
}
