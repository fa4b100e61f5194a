/**
 * How task modules are imported. When the CLI runs from its build
 * (bin/build.mjs), the tasks under tasks/ are compiled too and imported as
 * JavaScript; any other task (a folder of one's own, a test fixture) is
 * TypeScript, imported through tsx, which is registered on first need so that
 * commands that load no such task never pay for it. Run from the sources
 * (tests, `node --import tsx`), a TypeScript loader is already in place.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The repository: this file is `<repo>/src/task/modules.ts` (in a build too: it sees its source's place). */
const REPOSITORY = resolve(import.meta.dirname, "..", "..");

let buildRoot: string | null = null;
let typescript: Promise<void> | null = null;

/** Called by the CLI when it runs from a build: modules the build holds are imported from it. */
export function useBuild(root: string): void {
  buildRoot = root;
}

/** The build in use, or null when running from the TypeScript sources. */
export function currentBuild(): string | null {
  return buildRoot;
}

/** Imports a task's module (its task.ts): the compiled copy when there is one, else the file. */
export async function importTaskModule(file: string): Promise<unknown> {
  const compiled = compiledCopy(file);
  if (compiled) return import(pathToFileURL(compiled).href);
  if (buildRoot !== null && /\.[cm]?ts$/.test(file)) await typeScriptLoader();
  return import(pathToFileURL(file).href);
}

function compiledCopy(file: string): string | null {
  if (buildRoot === null || !file.endsWith(".ts")) return null;
  const rel = relative(REPOSITORY, file);
  if (rel.startsWith("..") || isAbsolute(rel)) return null;
  const path = join(buildRoot, `${rel.slice(0, -".ts".length)}.js`);
  return existsSync(path) ? path : null;
}

function typeScriptLoader(): Promise<void> {
  typescript ??= import("tsx/esm/api").then(({ register }) => {
    register();
  });
  return typescript;
}
