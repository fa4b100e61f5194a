export * from "./bundle.ts";
export { expandArgv, resolveProgram } from "./command.ts";
export * from "./process.ts";
export { bwrapArgv, type Confinement, findExecutable, type ProtectionChoice } from "./protection.ts";
export type * from "./sandbox.ts";
