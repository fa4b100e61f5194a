import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";

/** Where `npm run build:web` puts the page (never committed). */
export const WEB_DIST = join(import.meta.dirname, "..", "..", "web", "dist");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

export interface StaticFile {
  body: Uint8Array;
  type: string;
  /** Vite names built assets by their content, so they never change under one name. */
  immutable: boolean;
}

/**
 * The built page, read once into memory and looked up by exact URL path: a
 * request can only ever get one of these files, whatever it asks for.
 */
export function loadStaticFiles(dir = WEB_DIST): Map<string, StaticFile> {
  if (!existsSync(join(dir, "index.html"))) {
    throw new Error(
      `the dashboard's page is not built (no ${relative(process.cwd(), join(dir, "index.html"))}): run \`npm run build:web\``,
    );
  }
  const files = new Map<string, StaticFile>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const url = `/${relative(dir, path).split(sep).join("/")}`;
      files.set(url, {
        body: readFileSync(path),
        type: TYPES[extname(name)] ?? "application/octet-stream",
        immutable: url.startsWith("/assets/"),
      });
    }
  };
  walk(dir);
  return files;
}
