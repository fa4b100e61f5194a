import { createHash } from "node:crypto";
import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { basename, join, relative, sep } from "node:path";
import { compareFiles } from "../compare/plan.ts";
import { isRunDir } from "../engine/run-dir.ts";

/** A run folder found under one of the folders `serve` was given. */
export interface CatalogRun {
  /** Stable across restarts, URL-safe, and never a path: requests name runs only by this. */
  id: string;
  /** Relative to the folder it was found under (its own name when given directly). */
  name: string;
  /** Real path of the run folder, always inside a given folder. */
  dir: string;
}

/** How deep under a given folder runs are looked for (a compare folder keeps its runs one level down). */
const MAX_DEPTH = 3;

/**
 * The run folders under the folders `serve` was given. Symbolic links are
 * followed only when they lead back inside a given folder, so no request can
 * reach a file outside them.
 */
export class Catalog {
  private readonly roots: string[];

  /** `folders` must exist (the command checks them first, to name a bad one). */
  constructor(folders: string[]) {
    this.roots = folders.map((f) => realpathSync(f));
  }

  scan(): CatalogRun[] {
    const found = new Map<string, CatalogRun>();
    this.walk((dir, name) => {
      if (!isRunDir(dir)) return false;
      if (!found.has(dir)) found.set(dir, { id: runId(name, dir), name, dir });
      return true;
    });
    return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The folders `adrs compare` wrote (a summary.json beside its runs). */
  scanCompares(): CatalogRun[] {
    const found = new Map<string, CatalogRun>();
    this.walk((dir, name) => {
      if (isRunDir(dir)) return true;
      if (existsSync(join(dir, compareFiles.summary)) && !found.has(dir))
        found.set(dir, { id: runId(name, dir), name, dir });
      return false;
    });
    return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Visits every folder under the roots until `visit` says to go no deeper; `name` is relative to its root. */
  private walk(visit: (dir: string, name: string) => boolean): void {
    for (const root of this.roots) {
      const rootName = basename(root);
      const go = (dir: string, depth: number) => {
        const name = dir === root ? rootName : relative(root, dir).split(sep).join("/");
        if (visit(dir, name) || depth >= MAX_DEPTH) return;
        for (const child of safeList(dir)) {
          if (child.startsWith(".") || child === "node_modules") continue;
          const real = safeReal(join(dir, child));
          if (real && this.contains(real) && isDir(real)) go(real, depth + 1);
        }
      };
      go(root, 0);
    }
  }

  /** True when `path` (a real path) is one of the given folders or inside one. */
  contains(path: string): boolean {
    return this.roots.some(
      (root) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep),
    );
  }
}

function runId(name: string, dir: string): string {
  const slug =
    name
      .replace(/[^A-Za-z0-9_-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(-48) || "run";
  return `${slug}-${createHash("sha256").update(dir).digest("hex").slice(0, 6)}`;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeReal(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
