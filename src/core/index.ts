export * from "./duration.ts";
export * from "./errors.ts";
export * from "./events.ts";
export * from "./ids.ts";
export * from "./rng.ts";
export * from "./score.ts";
export * from "./stats.ts";
export * from "./types.ts";
