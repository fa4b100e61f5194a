/** The public task API: what `tasks/<id>/task.ts` imports, and how the engine loads a task. */

export type { Anchors } from "../core/score.ts";
export { normalise } from "../core/score.ts";
export type { Metrics, Split, WorkloadResult } from "../core/types.ts";
export * from "./contract.ts";
export * from "./load.ts";
export { candidateFileName } from "./definition.ts";
