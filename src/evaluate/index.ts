export * from "./evaluator.ts";
export * from "./feedback.ts";
