import { createHash } from "node:crypto";
import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { basename, join, relative, sep } from "node:path";
import { runFiles } from "../engine/run-dir.ts";

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
    for (const root of this.roots) {
      const rootName = basename(root);
      const visit = (dir: string, depth: number) => {
        if (existsSync(join(dir, runFiles.database))) {
          const name = dir === root ? rootName : relative(root, dir).split(sep).join("/");
          if (!found.has(dir)) found.set(dir, { id: runId(name, dir), name, dir });
          return;
        }
        if (depth >= MAX_DEPTH) return;
        for (const child of safeList(dir)) {
          if (child.startsWith(".") || child === "node_modules") continue;
          const real = safeReal(join(dir, child));
          if (real && this.contains(real) && isDir(real)) visit(real, depth + 1);
        }
      };
      visit(root, 0);
    }
    return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
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
