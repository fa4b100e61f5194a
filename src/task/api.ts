/**
 * The public task API: everything `tasks/<id>/` may import from `src/`.
 * Trusted task code (task.ts, simulators) and sandbox-side helpers (api.ts,
 * driver.ts) both import from here, so keep it free of I/O and Node APIs.
 */
export { Rng, type RngState } from "../core/rng.ts";
export { type Anchors, normalise } from "../core/score.ts";
export type { Metrics, Split, WorkloadResult } from "../core/types.ts";
export * from "./contract.ts";
export {
  type ChatMessage,
  type JudgeContext,
  llm,
  type ModelAnswer,
  type ModelExchange,
  type ModelOptions,
  type ModelRequest,
  MODEL_BRIDGE_GLOBAL,
  type TaskModels,
} from "./model.ts";
