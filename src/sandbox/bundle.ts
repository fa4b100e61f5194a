import { builtinModules, SourceMap } from "node:module";
import { basename, dirname, extname, isAbsolute, relative, resolve } from "node:path";
import { build, type Message, type Plugin } from "esbuild";

export interface BundleRequest {
  /** The candidate's TypeScript source (the evolved file). */
  code: string;
  /** The task folder: the candidate's relative imports resolve against it. */
  taskDir: string;
  /** The task's driver module, exporting `run(candidate, input)`. */
  driverPath: string;
  /** The candidate's file name in error messages; default `program.ts`. */
  sourcefile?: string;
}

export type BundleResult =
  | {
      ok: true;
      script: string;
      /** Source map (JSON) of `script`, for `mapScriptLocations`. */
      sourceMap: string;
    }
  | { ok: false; error: string };

/** The file name the sandbox gives the script, so stack frames can be mapped back. */
export const SCRIPT_FILENAME = "candidate.js";

const ENTRY = "adrs:entry";
const CANDIDATE = "adrs:candidate";
const CANDIDATE_NS = "adrs-candidate";
const ENTRY_NS = "adrs-entry";
/** Marks the nested resolve we issue ourselves, so the plugin does not intercept it again. */
const INNER = Symbol("adrs-inner-resolve");

const CODE_EXTENSIONS = new Set([".ts", ".mts", ".js", ".mjs"]);
const BUILTINS = new Set(builtinModules);
const MAX_MESSAGES = 5;

/**
 * Bundles the candidate with the task's driver into one IIFE script that sets
 * `globalThis.__adrs = { run(input) }`. The platform is neutral, so Node's
 * built-in modules do not resolve: a candidate that reaches for `node:fs` gets
 * a compile error rather than a runtime surprise.
 */
export async function bundleCandidate(request: BundleRequest): Promise<BundleResult> {
  const taskDir = resolve(request.taskDir);
  const driverPath = resolve(request.driverPath);
  const sourcefile = request.sourcefile ?? "program.ts";
  const entry = [
    `import * as candidate from ${JSON.stringify(CANDIDATE)};`,
    `import { run } from ${JSON.stringify(driverPath)};`,
    "globalThis.__adrs = { run: (input) => run(candidate, input) };",
  ].join("\n");

  const plugin: Plugin = {
    name: "adrs-candidate",
    setup(b) {
      b.onResolve({ filter: /^adrs:entry$/ }, (args) =>
        args.kind === "entry-point" ? { path: "entry.js", namespace: ENTRY_NS } : undefined,
      );
      b.onResolve({ filter: /^adrs:candidate$/ }, (args) =>
        args.namespace === ENTRY_NS ? { path: sourcefile, namespace: CANDIDATE_NS } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: ENTRY_NS }, () => ({
        contents: entry,
        loader: "js",
        resolveDir: taskDir,
      }));
      b.onLoad({ filter: /.*/, namespace: CANDIDATE_NS }, () => ({
        contents: request.code,
        loader: "ts",
        resolveDir: taskDir,
      }));

      // Built-ins fail in every module (driver and helpers too), with a message a model can act on;
      // esbuild's own note suggests `platform: 'node'`, which is not the candidate's to choose.
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.pluginData === INNER) return undefined;
        const bare = args.path.startsWith("node:") ? args.path.slice(5) : args.path;
        if (args.path.startsWith("node:") || BUILTINS.has(bare.split("/")[0] ?? "")) {
          return {
            errors: [{ text: `Cannot import "${args.path}": Node built-in modules are not available here` }],
          };
        }
        return undefined;
      });

      // The candidate may only reach the task's own helper modules, never the trusted
      // definition, other folders (references, workloads) or packages.
      b.onResolve({ filter: /.*/, namespace: CANDIDATE_NS }, async (args) => {
        if (args.pluginData === INNER) return undefined;
        const rel = args.path.startsWith("./") || args.path.startsWith("../");
        if (!rel) {
          return {
            errors: [
              {
                text: `Cannot import "${args.path}": only the task's helper modules can be imported, with a relative path such as "./api.ts"`,
              },
            ],
          };
        }
        const found = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: taskDir,
          pluginData: INNER,
        });
        if (found.errors.length > 0) return { errors: found.errors };
        const why = forbiddenImport(found.path, taskDir);
        if (why) return { errors: [{ text: `Cannot import "${args.path}": ${why}` }] };
        return { path: found.path, namespace: found.namespace };
      });
    },
  };

  try {
    const result = await build({
      entryPoints: [ENTRY],
      bundle: true,
      write: false,
      format: "iife",
      platform: "neutral",
      target: "es2022",
      logLevel: "silent",
      // Stable output (path comments) whatever the engine's working directory.
      absWorkingDir: taskDir,
      charset: "utf8",
      legalComments: "none",
      // An explicit tsconfig: the repo's must not change how a candidate compiles (its
      // verbatimModuleSyntax would keep type-only imports alive). Strict, as an ES module is.
      tsconfigRaw: { compilerOptions: { alwaysStrict: true } },
      sourcemap: "external",
      sourcesContent: false,
      outfile: SCRIPT_FILENAME,
      plugins: [plugin],
    });
    const files = result.outputFiles ?? [];
    const script = files.find((f) => f.path.endsWith(".js"))?.text;
    const sourceMap = files.find((f) => f.path.endsWith(".map"))?.text;
    if (script === undefined || sourceMap === undefined)
      return { ok: false, error: "esbuild produced no output" };
    return { ok: true, script, sourceMap };
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    if (!Array.isArray(errors) || errors.length === 0) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    return { ok: false, error: formatMessages(errors, { taskDir, sourcefile }) };
  }
}

function forbiddenImport(path: string, taskDir: string): string | undefined {
  if (!isAbsolute(path)) return "not a file in the task folder";
  if (dirname(path) !== taskDir) return "only files directly in the task folder can be imported";
  if (!CODE_EXTENSIONS.has(extname(path))) return "only TypeScript or JavaScript modules can be imported";
  const name = basename(path);
  if (name === "task.ts" || name === "task.js") return "the task definition is trusted code";
  return undefined;
}

/** `program.ts:12:8: Expected ";" but found "{"` with the source line, 1-based columns like tsc. */
function formatMessages(messages: Message[], ctx: { taskDir: string; sourcefile: string }): string {
  const lines: string[] = [];
  for (const m of messages.slice(0, MAX_MESSAGES)) {
    const loc = m.location;
    if (!loc) {
      lines.push(m.text);
      continue;
    }
    const file = displayFile(loc.file, ctx);
    lines.push(`${file}:${loc.line}:${loc.column + 1}: ${m.text}`);
    if (loc.lineText) {
      lines.push(`    ${loc.lineText}`);
      lines.push(`    ${" ".repeat(loc.column)}^`);
    }
  }
  if (messages.length > MAX_MESSAGES) lines.push(`(${messages.length - MAX_MESSAGES} more errors)`);
  return lines.join("\n");
}

function displayFile(file: string, ctx: { taskDir: string; sourcefile: string }): string {
  if (file.startsWith(`${CANDIDATE_NS}:`)) return ctx.sourcefile;
  if (file.startsWith(`${ENTRY_NS}:`)) return "(entry)";
  if (isAbsolute(file)) return relative(ctx.taskDir, file) || file;
  // esbuild reports files relative to its working directory.
  return relative(ctx.taskDir, resolve(file));
}

/**
 * Rewrites `candidate.js:L:C` positions (in stack frames from the sandbox) into
 * positions in the original files: `program.ts:12:5`, `driver.ts:9:10`.
 */
export function mapScriptLocations(text: string, sourceMap: string): string {
  if (!text.includes(SCRIPT_FILENAME)) return text;
  let map: SourceMap;
  try {
    map = new SourceMap(JSON.parse(sourceMap));
  } catch {
    return text;
  }
  const pattern = new RegExp(`${SCRIPT_FILENAME.replace(".", "\\.")}:(\\d+):(\\d+)`, "g");
  const lines: string[] = [];
  for (const line of text.split("\n")) {
    let wrapper = false;
    const mapped = line.replace(pattern, (whole, l: string, c: string) => {
      const entry = map.findEntry(Number(l) - 1, Number(c) - 1) as Partial<{
        originalSource: string;
        originalLine: number;
        originalColumn: number;
      }>;
      if (entry.originalSource === undefined || entry.originalLine === undefined) return whole;
      const source = entry.originalSource;
      if (source.startsWith(`${ENTRY_NS}:`)) wrapper = true;
      // The candidate's source is named `<namespace>:<sourcefile>`.
      const file = source.startsWith(`${CANDIDATE_NS}:`) ? source.slice(CANDIDATE_NS.length + 1) : source;
      return `${file}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
    });
    // Frames in the generated entry are ours, not the candidate's: noise in feedback.
    if (!(wrapper && mapped.trimStart().startsWith("at "))) lines.push(mapped);
  }
  return lines.join("\n");
}
