export * from "./bundle.ts";
export * from "./process.ts";
export type * from "./sandbox.ts";
