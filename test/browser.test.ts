/**
 * The dashboard in a real browser: headless Chromium (Debian's package,
 * driven by playwright-core) against `serve` over a real run that the engine
 * drives against the mock model server. Each page is saved as a screenshot.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { candidateId } from "../src/core/ids.ts";
import { type Session, startRun } from "../src/engine/session.ts";
import { type DashboardServer, serveDashboard } from "../src/server/serve.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import { ensureWebBuilt, launchChromium, screenshotDir } from "./support/browser.ts";
import { type MockLlm, promptOf, startMockLlm } from "./support/mock-llm.ts";
import { mockRunConfig, tempDir, widenSample } from "./support/run-helpers.ts";
import { evaluationOf, oneCandidate, SEED_CODE, writeSyntheticRun } from "./support/synthetic-run.ts";

const ITERATIONS = 5;

let browser: Browser;
let page: Page;
let mock: MockLlm;
let server: DashboardServer;
let session: Session;
let running: Promise<unknown>;
let root: string;
/** Model replies the test has let through: the run proposes only as fast as the test allows. */
let allowed = 1;
let wake: () => void = () => {};
const shots = screenshotDir();

async function shoot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** Lets one more model reply through. */
function allowReply(): void {
  allowed++;
  wake();
}

/** The prompts the mock model server received, in order, and a way to wait for the next one. */
const prompts: string[] = [];
let prompted: () => void = () => {};
function nextPrompt(): Promise<string> {
  const seen = prompts.length;
  return new Promise<string>((resolve) => {
    prompted = () => {
      if (prompts.length > seen) resolve(prompts[seen]!);
    };
  });
}

before(async () => {
  await ensureWebBuilt();
  browser = await launchChromium();
  let served = 0;
  mock = await startMockLlm({
    responder: async (body) => {
      prompts.push(promptOf(body));
      prompted();
      while (served >= allowed) await new Promise<void>((resolve) => (wake = resolve));
      served++;
      return widenSample(body);
    },
  });
  root = tempDir("browser");
  // A finished run beside the live one, for the compare page; one of its programs holds markup in its code.
  const finished = await openSqliteStore(join(root, "finished", "run.db"));
  await writeSyntheticRun(finished, { candidates: 30, seed: 5 });
  const hostile = oneCandidate(31, {
    status: "invalid",
    code: `${SEED_CODE}\n// <img id="pwned" src="x" onerror="window.pwned = 1">\n`,
    diff: '--- a/program.ts\n+++ b/program.ts\n@@ -1,1 +1,2 @@\n import x;\n+// <img id="pwned" src="x" onerror="window.pwned = 1">\n',
    reply: "<script>window.pwned = 2</script>",
  });
  await finished.append(hostile);
  // A noisy task's best, measured five times beside the incumbent: its page shows score ± spread.
  const [proposal] = oneCandidate(32, { status: "ok" });
  await finished.append([
    proposal!,
    { type: "evaluation_finished", candidateId: candidateId(32), evaluation: evaluationOf(99.5) },
    {
      type: "program_inserted",
      program: {
        id: candidateId(32),
        parentId: candidateId(0),
        code: SEED_CODE,
        score: 99,
        metrics: {},
        feedback: "",
        tag: "0",
        generation: 1,
        iteration: 32,
        diff: "",
        model: "openai:mock-coder",
        createdAt: 0,
        noise: {
          samples: [98, 99, 99.5, 98.5, 99],
          median: 99,
          spread: 0.75,
          incumbent: { id: candidateId(0), score: 40, samples: [40, 41, 40], median: 40, spread: 0.5 },
          won: true,
        },
      },
    },
  ]);
  await finished.close();

  const out = join(root, "live");
  mkdirSync(out, { recursive: true });
  session = await startRun(
    mockRunConfig(mock.url, out, {
      budget: { iterations: ITERATIONS },
      concurrency: { proposals: 1, evaluations: 1 },
    }),
  );
  running = session.run();
  server = await serveDashboard({ folders: [root], port: 0 });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("pageerror", (e) => assert.fail(`the page threw: ${e.message}`));
});

after(async () => {
  allowed = Number.POSITIVE_INFINITY;
  wake();
  await running;
  await page?.close();
  await browser?.close();
  await server?.close();
  await mock?.close();
  process.stderr.write(`dashboard screenshots: ${shots}\n`);
});

const liveId = () => server.dashboard.list().find((r) => r.name === "live")!.id;

test("the runs page lists the runs, the live one as running", async () => {
  await page.goto(`${server.origin}/`);
  const live = page.locator(`tr[data-run="${liveId()}"]`);
  await live.getByText("running").waitFor();
  assert.equal(await page.locator("tr[data-run]").count(), 2);
  assert.match((await live.textContent()) ?? "", /txn-scheduling/);
  await shoot("runs");
});

test("a live run's new candidate appears on its page without a reload", async () => {
  await page.goto(`${server.origin}/#/run/${liveId()}`);
  // The first reply was let through: its candidate shows up as the run stores it.
  await page.locator(`[data-candidate="${candidateId(1)}"]`).waitFor();
  await page.evaluate(() => {
    (globalThis as unknown as { marker: number }).marker = 42;
  });
  assert.equal(await page.locator(`[data-candidate="${candidateId(2)}"]`).count(), 0);
  allowReply();
  await page.locator(`[data-candidate="${candidateId(2)}"]`).waitFor();
  const marker = await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker);
  assert.equal(marker, 42, "the page was not reloaded");
  await shoot("run-live");
});

test("a hint typed into the live run's page reaches the next prompt the model server receives", async () => {
  const hint = "Sample 33 transactions at each step.";
  await page.goto(`${server.origin}/#/run/${liveId()}`);
  // Prompts the mock received before the hint was added cannot hold it.
  const before = prompts.length;
  await page.getByLabel(/A hint for the model/).fill(hint);
  await page.getByRole("button", { name: "Add hint" }).click();
  // Shown once the server stored it and the page heard the event back.
  await page.locator("[data-hint]", { hasText: hint }).waitFor();
  await shoot("run-steering");
  // A request built after the hint was stored may already have arrived; if not, a request already
  // waiting at the mock was built before it, and the one after it must carry it.
  let prompt = prompts.slice(before).find((p) => p.includes(hint)) ?? "";
  for (let i = 0; i < 2 && !prompt.includes(hint); i++) {
    const next = nextPrompt();
    allowReply();
    prompt = await next;
  }
  assert.match(prompt, /# Hints from the researcher/);
  assert.ok(prompt.includes(`- ${hint}`), "the hint is in the prompt");
  assert.ok(
    prompts.slice(0, before).every((p) => !p.includes(hint)),
    "no prompt before the hint was added had it",
  );
});

test("a program's diff renders, and markup in its code stays text", async () => {
  await page.goto(`${server.origin}/#/run/${liveId()}/program/${candidateId(1)}`);
  const diff = page.locator(".d2h-file-wrapper");
  await diff.waitFor();
  const inserted = await page.locator(".d2h-ins .d2h-code-line-ctn").allTextContents();
  assert.ok(
    inserted.some((line) => /const SAMPLE_SIZE = 17;/.test(line)),
    `an inserted line widens the sample: ${inserted.join(" | ")}`,
  );
  const deleted = await page.locator(".d2h-del .d2h-code-line-ctn").allTextContents();
  assert.ok(deleted.some((line) => /const SAMPLE_SIZE = 10;/.test(line)));
  await page.getByText("Metrics per workload").waitFor();
  await shoot("program");

  const finished = server.dashboard.list().find((r) => r.name === "finished")!.id;
  await page.goto(`${server.origin}/#/run/${finished}/program/${candidateId(31)}`);
  await page.locator(".d2h-file-wrapper").waitFor();
  await page.getByText("window.pwned = 2").first().waitFor();
  assert.equal(await page.locator("#pwned").count(), 0, "no element was made from the program's text");
  assert.equal(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned), undefined);
});

test("the run page draws its curves, strategy, lineage and cost once the run has finished", async () => {
  allowed = Number.POSITIVE_INFINITY;
  wake();
  await running;
  await page.goto(`${server.origin}/#/run/${liveId()}`);
  await page.locator(".stop-reason", { hasText: "iterations" }).waitFor();
  // Charts and the strategy's picture arrive after the page's first paint: wait for them, then count.
  await page.locator(".uplot").nth(4).waitFor();
  assert.equal(await page.locator(".uplot").count(), 5);
  await page.locator(".island").first().waitFor();
  const nodes = await page.locator(".lineage canvas").getAttribute("data-nodes");
  assert.equal(Number(nodes), ITERATIONS + 1);
  await page.getByText("model openai:mock-coder").waitFor();
  await shoot("run");
});

test("a noisy task's run page shows its best and its measured programs as score ± spread", async () => {
  const finished = server.dashboard.list().find((r) => r.name === "finished")!.id;
  await page.goto(`${server.origin}/#/run/${finished}`);
  await page.getByText(`${candidateId(32)}: train 99.00 ± 0.75`).waitFor();
  const row = page.locator(`[data-candidate="${candidateId(32)}"]`);
  assert.match((await row.textContent()) ?? "", /99\.00 ± 0\.75/);
});

test("the compare page overlays the picked runs", async () => {
  await page.goto(`${server.origin}/`);
  // The list arrives after the first paint: pick the boxes once both rows are there, not before.
  const boxes = page.locator("tr[data-run] input[type=checkbox]");
  await boxes.nth(1).waitFor();
  for (const box of await boxes.all()) await box.check();
  await page.getByText("Compare 2 runs").click();
  await page.locator("h1", { hasText: "Compare 2 runs" }).waitFor();
  await page.locator(".uplot").nth(1).waitFor();
  assert.equal(await page.locator(".uplot").count(), 2);
  assert.equal(await page.locator("tr[data-run]").count(), 2);
  await shoot("compare");
});
