/**
 * The dashboard over a run of 10,000 programs: the server's first read of the
 * run, the run page's payload, the time until the run page has drawn it in
 * headless Chromium (against the same page over a 100-program run, measured
 * in the same bench run), and the lag from an event stored by a live run to
 * its row on an open page.
 */
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import BetterSqlite3 from "better-sqlite3";
import type { Page } from "playwright-core";
import { candidateId } from "../src/core/ids.ts";
import { serveDashboard } from "../src/server/serve.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import { ensureWebBuilt, launchChromium } from "../test/support/browser.ts";
import { oneCandidate, writeSyntheticRun } from "../test/support/synthetic-run.ts";
import type { BenchResult } from "./run.ts";

/** Candidates written so that about 10,000 of them are programs (the rest fail or are rejected). */
const CANDIDATES = 12_200;
const SMALL = 120;
const LAG_SAMPLES = 20;

export default async function dashboardBench(): Promise<BenchResult[]> {
  await ensureWebBuilt();
  const root = join(tmpdir(), `adrs-dashboard-bench-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  const big = await openSqliteStore(join(root, "big", "run.db"));
  const written = await writeSyntheticRun(big, { candidates: CANDIDATES, stop: false });
  // A live run: the lock names this process, as a running engine's would.
  writeFileSync(join(root, "big", "run.lock"), String(process.pid));
  const small = await openSqliteStore(join(root, "small", "run.db"));
  await writeSyntheticRun(small, { candidates: SMALL });
  await small.close();

  // The floor for any reader of the event log: the stored events' text, read and parsed once.
  const rawAt = performance.now();
  const reader = new BetterSqlite3(join(root, "big", "run.db"), { readonly: true });
  const bytes = (reader.prepare("select data from events").all() as { data: string }[]).reduce(
    (sum, row) => sum + (JSON.parse(row.data) ? row.data.length : 0),
    0,
  );
  reader.close();
  const raw = performance.now() - rawAt;

  // The big run is live, so the server reads all of it before it answers.
  const startAt = performance.now();
  const server = await serveDashboard({ folders: [root], port: 0 });
  const ready = performance.now() - startAt;
  const id = (name: string) => server.dashboard.list().find((r) => r.name === name)!.id;

  const body = await (await fetch(`${server.origin}/api/runs/${id("big")}`)).arrayBuffer();
  const gzip = gzipSync(Buffer.from(body)).byteLength;

  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const paintSmall = await drawn(page, `${server.origin}/#/run/${id("small")}`, SMALL + 1);
  const paintBig = await drawn(page, `${server.origin}/#/run/${id("big")}`, CANDIDATES + 1);

  // Event-to-page lag: store a candidate, note when its row appears on the open page.
  const lags: number[] = [];
  for (let i = 1; i <= LAG_SAMPLES; i++) {
    const iteration = CANDIDATES + i;
    const cid = candidateId(iteration);
    const seen = page.evaluate<number>(appears(cid));
    const storedAt = Date.now();
    await big.append(oneCandidate(iteration));
    lags.push((await seen) - storedAt);
  }
  await browser.close();
  await server.close();
  await big.close();
  rmSync(root, { recursive: true, force: true });

  lags.sort((a, b) => a - b);
  const q = (p: number) => lags[Math.min(lags.length - 1, Math.floor(p * lags.length))]!;
  const note = `${written.programs} programs, ${CANDIDATES + 1} candidates`;
  return [
    {
      name: "dashboard: server's first read of a 10,000-program run",
      value: ready / 1000,
      unit: "s",
      note: `${(ready / raw).toFixed(1)}× reading and parsing its ${(bytes / 2 ** 20).toFixed(0)} MB of events alone; ${note}`,
    },
    {
      name: "dashboard: run page payload",
      value: body.byteLength / 1024,
      unit: "KB",
      note: `${(gzip / 1024).toFixed(0)} KB gzipped, as sent`,
    },
    {
      name: "dashboard: run page drawn, 10,000 programs",
      value: paintBig.drawn,
      unit: "ms",
      note: `first contentful paint ${paintBig.fcp.toFixed(0)} ms; ${(paintBig.drawn / paintSmall.drawn).toFixed(1)}× the ${SMALL}-candidate run (${paintSmall.drawn.toFixed(0)} ms)`,
    },
    {
      name: "dashboard: event-to-page lag, live run, median",
      value: q(0.5),
      unit: "ms",
      target: "≤ 1000",
      note: `p90 ${q(0.9).toFixed(0)} ms over ${LAG_SAMPLES} events; poll every 200 ms`,
    },
  ];
}

/**
 * Opens a run page fresh and times (from navigation start, checked every
 * animation frame) until its charts and the lineage of every candidate are drawn.
 */
async function drawn(page: Page, url: string, nodes: number): Promise<{ drawn: number; fcp: number }> {
  await page.goto("about:blank");
  await page.goto(url);
  return page.evaluate<{ drawn: number; fcp: number }>(`new Promise((resolve) => {
    const check = () => {
      const canvas = document.querySelector(".lineage canvas");
      if (canvas?.getAttribute("data-nodes") === "${nodes}" && document.querySelectorAll(".uplot").length >= 5) {
        const fcp = performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN;
        // The frame after the check is the one that shows it.
        requestAnimationFrame(() => resolve({ drawn: performance.now(), fcp }));
      } else {
        requestAnimationFrame(check);
      }
    };
    check();
  })`);
}

/**
 * In-page script (a string: the page runs it as written, without the
 * helpers tsx adds to functions) resolving with the time a candidate's row appears.
 */
function appears(cid: string): string {
  return `new Promise((resolve) => {
    const check = () => document.querySelector('[data-candidate="${cid}"]');
    if (check()) return resolve(Date.now());
    const observer = new MutationObserver(() => {
      if (check()) {
        observer.disconnect();
        resolve(Date.now());
      }
    });
    observer.observe(document.body, { childList: true, subtree: true });
  })`;
}
