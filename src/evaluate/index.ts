export * from "./cache.ts";
export * from "./evaluator.ts";
export * from "./feedback.ts";
export { parseModelRequest, type TaskModelAccess } from "./models.ts";
export type { EvaluationWithArtifacts } from "./result.ts";
