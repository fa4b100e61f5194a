export * from "./errors.ts";
export * from "./events.ts";
export * from "./ids.ts";
export * from "./rng.ts";
export * from "./score.ts";
export * from "./types.ts";
