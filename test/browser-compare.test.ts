/**
 * The dashboard's page of an `adrs compare` folder, in headless Chromium: the
 * runs page lists the comparison, and its page shows summary.json's figures
 * per strategy, the strategies' curves overlaid, and links to each run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type ComparePlan, type CompareSummary, writeSummary } from "../src/compare/index.ts";
import { show } from "../src/compare/table.ts";
import type { RunConfig } from "../src/engine/config.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import { type DashboardPage, openDashboardPage, screenshotDir } from "./support/browser.ts";
import { tempDir } from "./support/run-helpers.ts";
import { writeSyntheticRun } from "./support/synthetic-run.ts";

let dashboard: DashboardPage;
let summary: CompareSummary;

before(async () => {
  const out = join(tempDir("browser-compare"), "cmp");
  const runs: ComparePlan["runs"] = [];
  for (const strategy of ["hill-climb", "best-of-n"] as const) {
    for (const seed of [1, 2]) {
      const name = `${strategy}-seed${seed}`;
      const store = await openSqliteStore(join(out, name, "run.db"));
      await writeSyntheticRun(store, {
        candidates: 20 + seed * 5,
        seed: seed * 7 + strategy.length,
        strategy: { kind: strategy },
      });
      await store.close();
      runs.push({ strategy, seed, name, dir: join(out, name), config: {} as RunConfig });
    }
  }
  summary = await writeSummary({
    out,
    task: "txn-scheduling",
    strategies: ["hill-climb", "best-of-n"],
    seeds: [1, 2],
    shared: {} as ComparePlan["shared"],
    runs,
  });
  dashboard = await openDashboardPage([join(out, "..")]);
});

after(() => dashboard?.close());

test("a comparison's page shows its summary per strategy, the curves overlaid and its runs", async () => {
  const { page, server } = dashboard;
  await page.goto(`${server.origin}/`);
  await page.locator("li[data-comparison] a", { hasText: "cmp" }).click();
  await page.locator("tr[data-strategy]").nth(1).waitFor();
  for (const s of summary.byStrategy) {
    const cells = await page.locator(`tr[data-strategy="${s.strategy}"] td`).allTextContents();
    assert.deepEqual(cells.slice(0, 4), [s.strategy, "2", show(s.bestTrain, 2), show(s.bestTest, 2)]);
  }
  // Two charts (iterations, dollars), each with a train and a test line per strategy.
  await page.locator(".uplot").nth(1).waitFor();
  assert.equal(await page.locator(".uplot").count(), 2);
  assert.equal(await page.locator(".uplot").first().locator(".u-legend .u-series").count(), 1 + 2 * 2);
  // Each run links to its own page.
  assert.equal(await page.locator("tr[data-run-name] a").count(), 4);
  await page.screenshot({ path: join(screenshotDir(), "comparison.png"), fullPage: true });
  await page.locator("tr[data-run-name] a", { hasText: "best-of-n-seed2" }).click();
  await page.locator(".stop-reason").waitFor();
  assert.match((await page.locator(".crumbs").textContent()) ?? "", /best-of-n-seed2/);
});
