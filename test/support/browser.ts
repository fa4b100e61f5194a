/**
 * Headless Chromium for the dashboard's browser tests: Debian's `chromium`
 * package driven by playwright-core (which never downloads a browser). A
 * missing Chromium fails the test with what to install; it never skips.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { type DashboardServer, serveDashboard } from "../../src/server/serve.ts";
import { WEB_DIST } from "../../src/server/static-files.ts";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Flags that work on a closed network: no background connections, no GPU, no sandbox (tests run as root in CI). */
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium, as .ci/run does) or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/** Where the tests save a screenshot of each page (a CI artifact). */
export function screenshotDir(): string {
  const dir = process.env.ADRS_SCREENSHOTS ?? join(tmpdir(), "adrs-screenshots");
  mkdirSync(dir, { recursive: true });
  return dir;
}

const WEB = join(import.meta.dirname, "..", "..", "web");

/** Builds the page when web/dist is missing or older than its sources (npm test builds it first anyway). */
export async function ensureWebBuilt(): Promise<void> {
  const built = join(WEB_DIST, "index.html");
  const inputs = [join(WEB, "index.html"), join(WEB, "vite.config.ts"), ...sources(join(WEB, "src"))];
  const newest = Math.max(...inputs.map((f) => statSync(f).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  const { build } = await import("vite");
  await build({ configFile: join(WEB, "vite.config.ts"), logLevel: "error" });
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** A served dashboard over `folders`, and one page of it in headless Chromium that fails the test if it throws. */
export interface DashboardPage {
  server: DashboardServer;
  page: Page;
  close(): Promise<void>;
}

export async function openDashboardPage(folders: string[]): Promise<DashboardPage> {
  await ensureWebBuilt();
  const browser = await launchChromium();
  const server = await serveDashboard({ folders, port: 0 });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (e) => assert.fail(`the page threw: ${e.message}`));
  return {
    server,
    page,
    close: async () => {
      await page.close();
      await browser.close();
      await server.close();
    },
  };
}
