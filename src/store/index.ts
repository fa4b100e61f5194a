export * from "./kysely-store.ts";
export * from "./memory.ts";
export * from "./sqlite.ts";
export * from "./store.ts";
