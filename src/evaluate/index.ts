export * from "./cache.ts";
export * from "./evaluator.ts";
export * from "./feedback.ts";
export {
  CandidateCalls,
  modelsKey,
  parseModelRequest,
  type TaskModelAccess,
  type TaskModelReply,
  type TaskModelRole,
} from "./models.ts";
export type { EvaluationWithArtifacts } from "./result.ts";
