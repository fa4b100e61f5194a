import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The dashboard's page: Preact through Vite's own JSX transform (no plugin), built into web/dist.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 600 },
});
