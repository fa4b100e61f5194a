/**
 * `adrs compare` end to end against the loopback mock model: two strategies ×
 * two seeds as real runs (SQLite, sandbox, the OpenAI SDK over HTTP), the
 * summary's numbers checked against figures derived here straight from each
 * run's database, and an interrupted comparison continued by running it again.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import Database from "better-sqlite3";
import {
  type ComparePlan,
  type CompareSummary,
  planCompare,
  preparePlan,
  schedule,
  writeSummary,
} from "../src/compare/index.ts";
import { type MockLlm, startMockLlm } from "./support/mock-llm.ts";
import { tempDir, widenSample } from "./support/run-helpers.ts";

let mock: MockLlm;
before(async () => {
  mock = await startMockLlm({ responder: widenSample });
});
after(async () => {
  await mock.close();
});

function plan(out: string): ComparePlan {
  const config = join(out, "..", "compare.yaml");
  writeFileSync(
    config,
    [
      "task: txn-scheduling",
      "models:",
      `  - model: openai:mock-coder`,
      `    baseUrl: ${mock.url}`,
      "    price: { inputPerMTok: 1, outputPerMTok: 4 }",
      "concurrency: { proposals: 1, evaluations: 2 }",
      "budget: { iterations: 4 }",
      "",
    ].join("\n"),
  );
  return planCompare({ strategies: ["hill-climb", "islands"], seeds: 2, config, out });
}

/** A run's figures from its database alone, without adrs' store or summary code. */
function derive(dir: string) {
  const db = new Database(join(dir, "run.db"), { readonly: true });
  try {
    const programs = db
      .prepare("SELECT iteration, score, test_score AS test FROM programs ORDER BY iteration, seq")
      .all() as { iteration: number; score: number; test: number | null }[];
    const calls = db.prepare("SELECT iteration, cost_usd AS usd FROM model_calls").all() as {
      iteration: number | null;
      usd: number;
    }[];
    const evaluations = (
      db.prepare("SELECT count(*) AS n FROM events WHERE type = 'evaluation_finished'").get() as { n: number }
    ).n;
    const top = Math.max(...programs.map((p) => p.score));
    const best = programs.find((p) => p.score === top)!;
    const reached = Math.min(...programs.filter((p) => p.score >= 0.9 * top).map((p) => p.iteration));
    const usdUpTo = (k: number) =>
      calls.filter((c) => c.iteration !== null && c.iteration <= k).reduce((s, c) => s + c.usd, 0);
    return {
      bestTrain: top,
      bestTest: best.test,
      iterationsTo90: reached,
      usdTo90: usdUpTo(reached),
      usd: calls.reduce((s, c) => s + c.usd, 0),
      evaluations,
    };
  } finally {
    db.close();
  }
}

function meanSd(values: number[]): [number, number] {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return [mean, Math.sqrt(variance)];
}

function close(actual: number | null, expected: number, what: string) {
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-9, `${what}: ${actual} vs ${expected}`);
}

function checkAgainstStores(summary: CompareSummary, p: ComparePlan) {
  assert.equal(summary.runs.length, 4);
  for (const run of p.runs) {
    const got = summary.runs.find((r) => r.name === run.name);
    assert.ok(got, `${run.name} is in the summary`);
    const want = derive(run.dir);
    assert.equal(got.iterations, 4);
    assert.equal(got.evaluations, want.evaluations);
    close(got.bestTrain, want.bestTrain, `${run.name} best train`);
    close(got.bestTest, want.bestTest!, `${run.name} best test`);
    assert.equal(got.iterationsTo90, want.iterationsTo90, `${run.name} iterations to 90 %`);
    close(got.usdTo90, want.usdTo90, `${run.name} $ to 90 %`);
    close(got.usd, want.usd, `${run.name} $`);
    assert.ok(want.usd > 0, "the mock's calls are priced");
    close((got.evaluationsPerHour * got.activeSeconds) / 3600, want.evaluations, `${run.name} rate`);
  }
  for (const s of summary.byStrategy) {
    const mine = p.runs.filter((r) => r.strategy === s.strategy).map((r) => derive(r.dir));
    assert.equal(s.runs, 2);
    for (const key of ["bestTrain", "usd", "iterationsTo90"] as const) {
      const [mean, sd] = meanSd(mine.map((m) => m[key]));
      close(s[key].mean, mean, `${s.strategy} ${key} mean`);
      close(s[key].sd, sd, `${s.strategy} ${key} sd`);
    }
    // The mean curve ends at the mean final best, at the last iteration.
    const end = s.byIteration.at(-1)!;
    assert.equal(end[0], 4);
    close(end[1], meanSd(mine.map((m) => m.bestTrain))[0], `${s.strategy} curve end`);
  }
}

test("a comparison of two strategies × two seeds: four runs, and a summary that matches their stores", async () => {
  const out = join(tempDir("compare"), "cmp");
  const p = plan(out);
  preparePlan(p);
  const results = await schedule(p, { parallel: 2 }).done;
  assert.deepEqual(
    results.map((r) => [r.run.name, r.status, r.reason]),
    [
      ["hill-climb-seed42", "finished", "iterations"],
      ["hill-climb-seed43", "finished", "iterations"],
      ["islands-seed42", "finished", "iterations"],
      ["islands-seed43", "finished", "iterations"],
    ],
  );
  const summary = await writeSummary(p);
  checkAgainstStores(summary, p);
  assert.deepEqual(
    JSON.parse(readFileSync(join(out, "summary.json"), "utf8")),
    JSON.parse(JSON.stringify(summary)),
  );
  const table = readFileSync(join(out, "summary.md"), "utf8");
  assert.match(table, /^\| strategy \| runs \| best train \| best test \|/);
  const hill = summary.byStrategy[0]!;
  assert.ok(
    table.includes(
      `| \`hill-climb\` | 2 | ${hill.bestTrain.mean!.toFixed(2)} ± ${hill.bestTrain.sd!.toFixed(2)} |`,
    ),
  );
  for (const file of ["best-train-by-iteration.svg", "best-test-by-dollars.svg"]) {
    const svg = readFileSync(join(out, file), "utf8");
    assert.equal((svg.match(/<polyline data-line="(hill-climb|islands) /g) ?? []).length, 2, file);
  }
  // Every run is an ordinary run folder, with its strategy and seed in its config.
  assert.match(
    readFileSync(join(out, "islands-seed43", "config.yaml"), "utf8"),
    /kind: islands[\s\S]*seed: 43/,
  );
});

test("an interrupted comparison continues when run again: finished runs skipped, the stopped one resumed", async () => {
  const out = join(tempDir("compare"), "cmp");
  const first = plan(out);
  preparePlan(first);
  // Stop while the third run (islands-seed42) is under way: after its second program.
  let programs = 0;
  const running = schedule(first, {
    parallel: 1,
    onEvent: (run, e) => {
      if (run.name === "islands-seed42" && e.type === "program_inserted" && ++programs === 2) running.stop();
    },
  });
  const interrupted = await running.done;
  assert.deepEqual(
    interrupted.map((r) => [r.run.name, r.status, r.reason]),
    [
      ["hill-climb-seed42", "finished", "iterations"],
      ["hill-climb-seed43", "finished", "iterations"],
      ["islands-seed42", "stopped", "interrupted"],
    ],
  );
  assert.equal(existsSync(join(out, "islands-seed43")), false);
  const eventsOf = (name: string) => {
    const db = new Database(join(out, name, "run.db"), { readonly: true });
    try {
      return db
        .prepare("SELECT type FROM events ORDER BY seq")
        .all()
        .map((r) => (r as { type: string }).type);
    } finally {
      db.close();
    }
  };
  const finishedBefore = eventsOf("hill-climb-seed42");

  const again = plan(out);
  preparePlan(again);
  const resumed = await schedule(again, { parallel: 2 }).done;
  assert.deepEqual(
    resumed.map((r) => [r.run.name, r.status]),
    [
      ["hill-climb-seed42", "skipped"],
      ["hill-climb-seed43", "skipped"],
      ["islands-seed42", "finished"],
      ["islands-seed43", "finished"],
    ],
  );
  assert.deepEqual(eventsOf("hill-climb-seed42"), finishedBefore, "a finished run is left as it was");
  const continued = eventsOf("islands-seed42");
  assert.equal(continued.filter((t) => t === "run_resumed").length, 1);
  assert.equal(continued.filter((t) => t === "run_started").length, 1);
  checkAgainstStores(await writeSummary(again), again);

  // The same folder with another budget is refused, naming what differs.
  const other = planCompare({
    strategies: ["islands"],
    seeds: 1,
    config: join(out, "..", "compare.yaml"),
    overrides: { iterations: 9 },
    out,
  });
  assert.throws(() => preparePlan(other), /other settings \(budget\.iterations differs\)/);
});
