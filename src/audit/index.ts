export * from "./audit.ts";
export * from "./probes.ts";
export * from "./render.ts";
export * from "./verdict.ts";
export * from "./growth.ts";
export * from "./drift.ts";
export * from "./gate.ts";
