export * from "./audit.ts";
export * from "./probes.ts";
export * from "./render.ts";
export * from "./verdict.ts";
export * from "./growth.ts";
