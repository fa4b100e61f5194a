/**
 * Rules about the code itself that no other test would notice breaking: the
 * modules under src/ import each other without a cycle (a cycle makes the load
 * order matter and layers blur), and package.json names files that exist.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import ts from "typescript";

const root = join(import.meta.dirname, "..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|mts|mjs|js)$/.test(e.name) ? [path] : [];
  });
}

/** Every relative import of each file (static, type-only, re-exports and dynamic), as absolute paths. */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    graph.set(
      file,
      info.importedFiles.filter((i) => i.fileName.startsWith(".")).map((i) => resolve(dirname(file), i.fileName)),
    );
  }
  return graph;
}

/** Each cycle found by a depth-first walk, as the files along it (the first repeated at the end). */
function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === "open") cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

test("the cycle check finds a cycle of three and none in a chain", () => {
  const graph = new Map([
    ["a", ["b"]],
    ["b", ["c"]],
    ["c", ["a", "d"]],
    ["d", []],
  ]);
  assert.deepEqual(cyclesOf(graph), [["a", "b", "c", "a"]]);
  graph.set("c", ["d"]);
  assert.deepEqual(cyclesOf(graph), []);
});

test("no import cycle among the modules of src/ (type-only imports included)", () => {
  const files = sourceFiles(join(root, "src"));
  assert.ok(files.length > 50, `${files.length} source files`);
  const graph = importGraph(files);
  assert.ok([...graph.values()].some((deps) => deps.length > 0), "imports were read");
  const cycles = cyclesOf(graph).map((c) => c.map((f) => relative(root, f)).join(" → "));
  assert.deepEqual(cycles, [], `import cycles:\n${cycles.join("\n")}`);
});

test("package.json's exports and bin name files that exist", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    exports?: Record<string, string>;
    bin?: Record<string, string>;
  };
  const targets = [...Object.values(pkg.exports ?? {}), ...Object.values(pkg.bin ?? {})];
  assert.ok(targets.length > 0);
  for (const target of targets) assert.ok(existsSync(join(root, target)), `package.json names ${target}`);
});
