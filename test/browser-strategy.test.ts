/**
 * The run page draws each strategy's own picture, checked in headless
 * Chromium against what the stored evaluations say, computed here
 * independently of the strategies: the Pareto front of a gepa run (which
 * programs no other beats on every workload, and how many workloads each
 * leads), and the seed and best of a hill-climb run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Settled } from "../src/core/types.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import { type DashboardPage, openDashboardPage, screenshotDir } from "./support/browser.ts";
import { tempDir } from "./support/run-helpers.ts";
import { writeSyntheticRun } from "./support/synthetic-run.ts";

let dashboard: DashboardPage;
const settled: Record<string, Extract<Settled, { status: "ok" }>[]> = {};
/** Each run's best program as its store reports it, with its test evaluation. */
const bests: Record<string, { train: number; test: number | null }> = {};

before(async () => {
  const root = tempDir("browser-strategy");
  for (const [name, strategy] of [
    ["gepa", { kind: "gepa" }],
    ["hill-climb", { kind: "hill-climb" }],
  ] as const) {
    const store = await openSqliteStore(join(root, name, "run.db"));
    await writeSyntheticRun(store, { candidates: 40, seed: 11, strategy });
    settled[name] = (await store.history())
      .flatMap((e) => ("settled" in e && e.settled.status === "ok" ? [e.settled] : []))
      .filter((s): s is Extract<Settled, { status: "ok" }> => s.status === "ok");
    const best = await store.best();
    bests[name] = { train: best!.program.score, test: best!.test?.score ?? null };
    await store.close();
  }
  dashboard = await openDashboardPage([root]);
});

after(() => dashboard?.close());

const runId = (name: string) => dashboard.server.dashboard.list().find((r) => r.name === name)!.id;

function workloadScores(s: Extract<Settled, { status: "ok" }>): Map<string, number> {
  return new Map(s.evaluation.workloads.map((w) => [w.workload, w.score ?? 0]));
}

test("a gepa run's page shows its Pareto front: the programs no other beats everywhere, with the workloads each leads", async () => {
  const { page, server } = dashboard;
  const programs = settled.gepa!;
  const workloads = programs[0]!.evaluation.workloads.map((w) => w.workload);
  const scores = new Map(programs.map((s) => [s.program.id, workloadScores(s)]));
  const dominates = (a: Map<string, number>, b: Map<string, number>) =>
    workloads.every((w) => a.get(w)! >= b.get(w)!) && workloads.some((w) => a.get(w)! > b.get(w)!);
  const front = [...scores].filter(([, b]) => ![...scores.values()].some((a) => dominates(a, b))).map(([id]) => id);
  assert.ok(front.length >= 2, `the synthetic run trades workloads (front of ${front.length})`);
  const top = new Map(workloads.map((w) => [w, Math.max(...[...scores.values()].map((m) => m.get(w)!))]));
  const leads = (id: string) => workloads.filter((w) => scores.get(id)!.get(w) === top.get(w)).length;

  await page.goto(`${server.origin}/#/run/${runId("gepa")}`);
  await page.locator(".front tr[data-front]").first().waitFor();
  const rows = await page.locator(".front tr[data-front]").evaluateAll((trs) =>
    trs.map((tr) => ({
      id: tr.getAttribute("data-front")!,
      cells: [...tr.querySelectorAll("td")].map((td) => td.textContent ?? ""),
    })),
  );
  assert.deepEqual(rows.map((r) => r.id).sort(), [...front].sort());
  for (const row of rows) assert.equal(Number(row.cells[2]), leads(row.id), `workloads ${row.id} leads`);
  const headers = await page.locator(".front thead th").allTextContents();
  assert.deepEqual(headers.slice(3), workloads);
  await page.screenshot({ path: join(screenshotDir(), "strategy-gepa.png"), fullPage: true });
});

test("a hill-climb run's page names its seed and its best program", async () => {
  const { page, server } = dashboard;
  const programs = settled["hill-climb"]!;
  const best = programs.reduce((a, b) => (b.program.score > a.program.score ? b : a));
  await page.goto(`${server.origin}/#/run/${runId("hill-climb")}`);
  const line = page.locator(".baseline");
  await line.waitFor();
  const text = (await line.textContent()) ?? "";
  assert.match(text, /hill-climb: every child from the current best/);
  assert.match(text, new RegExp(`best ${best.program.id} ${best.program.score.toFixed(2)}`));
  assert.match(text, new RegExp(`${programs.length} programs`));
});

test("a run's page shows its best program's train–test gap against the drift alarm", async () => {
  const { page, server } = dashboard;
  const { train, test: held } = bests["hill-climb"]!;
  assert.notEqual(held, null, "the synthetic run scores its best on test");
  await page.goto(`${server.origin}/#/run/${runId("hill-climb")}`);
  const gap = page.locator("dd.drift");
  await gap.getByText(/points/).waitFor();
  assert.equal(await gap.textContent(), `${(train - held!).toFixed(2)} points (alarm at 10)`);
});
