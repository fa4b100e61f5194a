#!/usr/bin/env node
/**
 * The CLI's build: every TypeScript file of src/ and tasks/ (tests aside) compiled
 * to JavaScript with esbuild, one output file per source file, under
 * `dist/<build id>/` (mirroring the repository). `bin/adrs.js` runs the build
 * instead of transpiling the project at every start.
 *
 * A build is never stale: `dist/current.json` records the id and the size and
 * modification time of every file it was made from; `ensureBuilt` compares
 * them with the files on disk at each start (a few hundred stats) and builds
 * again when one differs, so an edit, a `git pull` or a branch switch is
 * picked up by the next command. A build goes into a folder of its own and is
 * published by renaming it, so processes running side by side never see half a
 * build, and a process keeps its own build while another makes a newer one.
 *
 * A compiled module sees `import.meta.url`, `dirname` and `filename` of its
 * source file: files it finds beside itself (the sandbox runner, prompt
 * templates, the tasks folder, data) are found where they are in the repository.
 *
 * `node bin/build.mjs` builds (npm's `prepare` and `npm test` run it).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";

export const ROOT = resolve(import.meta.dirname, "..");
export const DIST = join(ROOT, "dist");
const CURRENT = join(DIST, "current.json");
/** The folders compiled, relative to the repository. */
const SOURCES = ["src", "tasks"];
/** Builds other than the current one are removed once this old (a process may still use one). */
const KEEP_OLD_MS = 24 * 3600 * 1000;
/** The build script itself is an input: a change to how files are compiled is a new build. */
const SELF = relative(ROOT, import.meta.filename);

/** @typedef {[path: string, size: number | null, mtimeMs: number | null]} Stamp */

/**
 * Source files (relative paths, `/`-separated): `.ts` under src/ and tasks/, tests aside.
 * @returns {string[]}
 */
function sourceFiles() {
  /** @type {string[]} */
  const files = [];
  for (const top of SOURCES) {
    for (const entry of readdirSync(join(ROOT, top), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(".ts") || entry.name.endsWith(".d.ts")) continue;
      const rel = relative(ROOT, join(entry.parentPath, entry.name)).split(sep).join("/");
      if (rel.split("/").includes("test") || rel.split("/").includes("node_modules")) continue;
      files.push(rel);
    }
  }
  return files.sort();
}

/**
 * [path, size, mtime] of each file; nulls for a file that is gone.
 * @param {string[]} files
 * @returns {Stamp[]}
 */
function stamps(files) {
  return files.map((f) => {
    try {
      const s = statSync(join(ROOT, f));
      return [f, s.size, s.mtimeMs];
    } catch {
      return [f, null, null];
    }
  });
}

/** @returns {{ id: string, inputs: Stamp[] } | null} */
function readCurrent() {
  try {
    const current = JSON.parse(readFileSync(CURRENT, "utf8"));
    if (typeof current?.id === "string" && Array.isArray(current.inputs)) return current;
  } catch {}
  return null;
}

/** The current build's folder if every file it was made from is unchanged, else null. */
export function freshBuild() {
  const current = readCurrent();
  if (!current) return null;
  const now = stamps(current.inputs.map(([f]) => f));
  for (const [i, [, size, mtime]] of now.entries()) {
    const [, wasSize, wasMtime] = /** @type {Stamp} */ (current.inputs[i]);
    if (size !== wasSize || mtime !== wasMtime) return null;
  }
  // A new source file with no changed importer is unused; a new task folder loads from its sources.
  return join(DIST, current.id);
}

/**
 * The folder of a build of the current sources: the existing one, or a new one.
 * `onBuild` is told before a build starts (the CLI mentions it on a terminal).
 * @param {() => void} [onBuild]
 * @returns {Promise<string>}
 */
export async function ensureBuilt(onBuild) {
  const fresh = freshBuild();
  if (fresh) return fresh;
  onBuild?.();
  return build();
}

/**
 * Builds the current sources into `dist/<id>/` and makes it the current build; returns its folder.
 * @returns {Promise<string>}
 */
export async function build() {
  const files = [...sourceFiles(), SELF];
  const inputs = stamps(files);
  const id = createHash("sha256").update(JSON.stringify(inputs)).digest("hex").slice(0, 16);
  const out = join(DIST, id);
  mkdirSync(DIST, { recursive: true });
  let exists = false;
  try {
    exists = statSync(join(out, "src", "cli", "main.js")).isFile();
  } catch {}
  if (!exists) {
    const staging = `${out}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    try {
      await compile(
        files.filter((f) => f !== SELF),
        staging,
      );
      // Module lookups stop here rather than walking up to the repository's package.json.
      writeFileSync(join(staging, "package.json"), '{ "type": "module" }\n');
      try {
        renameSync(staging, out);
      } catch (err) {
        // Another process published the same build first: use theirs.
        const code = /** @type {NodeJS.ErrnoException} */ (err).code;
        if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
      }
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  const pointer = `${CURRENT}.${process.pid}.tmp`;
  writeFileSync(pointer, `${JSON.stringify({ id, inputs })}\n`);
  renameSync(pointer, CURRENT);
  prune(id);
  return out;
}

/**
 * @param {string[]} files
 * @param {string} outdir
 */
async function compile(files, outdir) {
  const { build: esbuild } = await import("esbuild");
  const compiled = new Set(files);
  /** @param {string} src */
  const outFile = (src) => join(outdir, src).replace(/\.ts$/, ".js");
  /**
   * Relative imports: a compiled file's output, or else the source file itself (a JSON file, say).
   * @type {import("esbuild").Plugin}
   */
  const rewrite = {
    name: "adrs-per-file",
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.kind === "entry-point") return undefined;
        const target = relative(ROOT, resolve(args.resolveDir, args.path)).split(sep).join("/");
        const from = dirname(outFile(relative(ROOT, args.importer)));
        const path = compiled.has(target) ? outFile(target) : join(ROOT, target);
        let spec = relative(from, path).split(sep).join("/");
        if (!spec.startsWith(".")) spec = `./${spec}`;
        return { path: spec, external: true };
      });
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const text = readFileSync(args.path, "utf8");
        if (!/\bimport\.meta\b/.test(text)) return { contents: text, loader: "ts" };
        const rel = relative(dirname(outFile(relative(ROOT, args.path))), args.path)
          .split(sep)
          .join("/");
        // `define` maps import.meta.{url,dirname,filename} to these names; the real location is
        // read through an alias of import.meta, which define does not rewrite.
        const header = [
          'import { dirname as __adrsDirname } from "node:path";',
          'import { fileURLToPath as __adrsToPath } from "node:url";',
          "const __adrsMeta = import.meta;",
          `const __adrsUrl = new URL(${JSON.stringify(rel)}, __adrsMeta.url).href;`,
          "const __adrsFilename = __adrsToPath(__adrsUrl);",
          "const __adrsDir = __adrsDirname(__adrsFilename);",
        ].join(" ");
        return { contents: `${header}\n${text}`, loader: "ts" };
      });
    },
  };
  await esbuild({
    entryPoints: files.map((f) => join(ROOT, f)),
    outdir,
    outbase: ROOT,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "error",
    define: {
      "import.meta.url": "__adrsUrl",
      "import.meta.dirname": "__adrsDir",
      "import.meta.filename": "__adrsFilename",
    },
    packages: "external",
    plugins: [rewrite],
  });
}

/**
 * Removes builds that are neither current nor recent, and staging folders of dead builds.
 * @param {string} currentId
 */
function prune(currentId) {
  let entries;
  try {
    entries = readdirSync(DIST, { withFileTypes: true });
  } catch {
    return;
  }
  const cutoff = Date.now() - KEEP_OLD_MS;
  for (const e of entries) {
    if (!e.isDirectory() || e.name === currentId) continue;
    const path = join(DIST, e.name);
    try {
      if (statSync(path).mtimeMs < cutoff) rmSync(path, { recursive: true, force: true });
    } catch {}
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const started = performance.now();
  const out = await build();
  process.stderr.write(`built ${relative(ROOT, out)} in ${Math.round(performance.now() - started)} ms\n`);
}
