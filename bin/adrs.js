#!/usr/bin/env node
// The CLI runs from TypeScript sources: tasks are TypeScript files loaded at run time, so the
// loader is needed anyway, and there is no build step to forget.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv);
