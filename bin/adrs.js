#!/usr/bin/env node
// The CLI runs from its build (bin/build.mjs: the TypeScript of src/ and tasks/ compiled to
// JavaScript), made again first whenever a source changed since, so a stale build never runs.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ensureBuilt } from "./build.mjs";

let build;
try {
  build = await ensureBuilt(() => {
    if (process.stderr.isTTY)
      process.stderr.write("adrs: sources changed since the last build; building it\n");
  });
} catch (err) {
  process.stderr.write(
    `adrs: cannot build the CLI from its sources: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
}
const { main } = await import(pathToFileURL(join(build, "src", "cli", "main.js")).href);
process.exitCode = await main(process.argv, { build });
