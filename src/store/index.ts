export * from "./kysely-store.ts";
export * from "./memory.ts";
export * from "./postgres/index.ts";
export * from "./sqlite/index.ts";
export * from "./store.ts";
