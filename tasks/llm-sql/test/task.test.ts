import assert from "node:assert/strict";
import { test } from "node:test";
import type { WorkloadResult } from "../../../src/core/types.ts";
import type { Workload } from "../../../src/task/contract.ts";
import { Table } from "../api.ts";
import { run } from "../driver.ts";
import * as baseline from "../references/baseline.ts";
import * as bestKnown from "../references/best-known.ts";
import type { Ordering, TableInput } from "../table.ts";
import task, { baselineHitRate, runtimeScore, splitAnchors } from "../task.ts";
import { evaluateOn, tables } from "./helpers.ts";

const ROWS = 400;

function identity(table: TableInput): Ordering {
  return baseline.reorder(new Table(table));
}

test("train anchors: 0 at the mean original-order hit rate, 100 at a hit rate of 1", async () => {
  const anchors = splitAnchors(await task.workloads("train"));
  assert.ok(Math.abs(anchors.baseline - task.anchors.baseline) < 1e-6, `${anchors.baseline}`);
  assert.equal(anchors.target, 1);
  const test = splitAnchors(await task.workloads("test"));
  assert.ok(test.baseline > 0.02 && test.baseline < 0.08, `test baseline ${test.baseline}`);
});

test("check recomputes the hit rate of a valid answer; original order gives the baseline", async () => {
  const [w] = await tables("train", ROWS);
  assert.ok(w);
  const result = task.check(w, identity(w.input));
  assert.equal(result.valid, true);
  assert.equal(result.metrics.hit_rate, baselineHitRate(w.input));
  assert.equal(result.metrics.rows, ROWS);
  assert.ok((result.metrics.chars as number) > 0);
});

test("check rejects malformed answers, saying why", async () => {
  const [w] = await tables("train", 6);
  assert.ok(w);
  const m = w.input.columns.length;
  const cols = Array.from({ length: m }, (_, c) => c);
  const rows = [0, 1, 2, 3, 4, 5];
  const fields = rows.map(() => cols);
  const cases: [unknown, RegExp][] = [
    [null, /must be an object \{ order: number\[\], fields: number\[\]\[\] \}, got null/],
    [[rows, fields], /must be an object/],
    [{ fields }, /order must be an array of row indices, got undefined/],
    [{ order: rows.slice(1), fields }, /order has 5 entries, expected 6 \(every row exactly once\)/],
    [{ order: [0, 1, 2, 3, 4, 4], fields }, /row 4 appears twice in order \(positions 4 and 5\)/],
    [{ order: [0, 1, 2, 3, 4, 6], fields }, /order\[5\] = 6 is out of range 0\.\.5/],
    [{ order: [0, 1, 2, 3, 4, 5.5], fields }, /order\[5\] is 5\.5, not a row index/],
    [{ order: [0, 1, 2, 3, 4, null], fields }, /order\[5\] is null/],
    [{ order: rows }, /fields must be an array/],
    [{ order: rows, fields: fields.slice(1) }, /fields has 5 entries, expected 6/],
    [{ order: rows, fields: [...fields.slice(1), "0,1"] }, /fields\[5\] must be an array of column indices/],
    [{ order: rows, fields: [...fields.slice(1), [...cols, 0]] }, /fields\[5\] has 9 entries, expected 8/],
    [
      { order: rows, fields: [...fields.slice(1), cols.map((c) => (c === 7 ? 0 : c))] },
      /fields\[5\] repeats column 0/,
    ],
    [
      { order: rows, fields: [...fields.slice(1), cols.map((c) => (c === 7 ? 8 : c))] },
      /fields\[5\]\[7\] = 8 is out of range 0\.\.7/,
    ],
    [
      { order: rows, fields: [...fields.slice(1), cols.map((c) => (c === 7 ? "7" : c))] },
      /fields\[5\]\[7\] is "7"/,
    ],
  ];
  for (const [output, reason] of cases) {
    const result = task.check(w, output);
    assert.equal(result.valid, false, JSON.stringify(output)?.slice(0, 80));
    assert.match(result.error ?? "", reason);
    assert.equal(result.metrics.hit_rate, undefined);
  }
});

// Reward-hack routes: each closed, and a test shows a program taking it gains nothing.

test("route: dropping long fields (the published evaluator never checked cells) makes the answer invalid", async () => {
  const workloads = await tables("train", ROWS);
  const dropLongest = {
    reorder(table: Table): unknown {
      const answer = baseline.reorder(table);
      // Keep every field but the longest on average: the rest shares far more.
      const lengths = table.columns.map((_, c) =>
        table.rows.reduce((s, r) => s + (r[c] as string).length, 0),
      );
      const longest = lengths.indexOf(Math.max(...lengths));
      return { order: answer.order, fields: answer.fields.map((f) => f.filter((c) => c !== longest)) };
    },
  };
  const r = evaluateOn(dropLongest, workloads);
  assert.equal(r.score, 0);
  assert.ok(r.results.every((x) => !x.valid && /every cell of row \d+ must be kept/.test(x.error ?? "")));
});

test("route: dropping or repeating rows makes the answer invalid", async () => {
  const workloads = await tables("train", ROWS);
  const halfRows = {
    reorder(table: Table): Ordering {
      const a = bestKnown.reorder(table);
      return { order: a.order.slice(0, table.size / 2), fields: a.fields.slice(0, table.size / 2) };
    },
  };
  const repeatFirst = {
    reorder(table: Table): Ordering {
      const a = bestKnown.reorder(table);
      return {
        order: a.order.map(() => a.order[0] as number),
        fields: a.fields.map(() => a.fields[0] as number[]),
      };
    },
  };
  for (const program of [halfRows, repeatFirst]) {
    const r = evaluateOn(program, workloads);
    assert.equal(r.score, 0);
    assert.ok(r.results.every((x) => !x.valid));
  }
});

test("route: a hit rate, score or runtime claimed in the answer is ignored", async () => {
  const workloads = await tables("train", ROWS);
  const honest = evaluateOn(baseline, workloads);
  const claiming = {
    reorder(table: Table): unknown {
      return { ...baseline.reorder(table), hit_rate: 1, score: 100, runtime_s: 0, durationMs: 0 };
    },
  };
  const claimed = evaluateOn(claiming, workloads);
  assert.deepEqual(claimed.metrics, honest.metrics);
  assert.equal(claimed.score, honest.score);
  // The driver forwards only the two arrays.
  const w = workloads[0] as Workload<TableInput>;
  assert.deepEqual(Object.keys(run(claiming, w.input) as object), ["order", "fields"]);
});

test("route: a merged field's parts may be ordered for the whole table, never split or dropped", async () => {
  const [beer] = await tables("train", ROWS);
  assert.ok(beer);
  assert.ok(beer.input.columns.includes("beer/beerId_beer/name"));
  assert.ok(!beer.input.columns.includes("beer/name") && !beer.input.columns.includes("beer/beerId"));
  assert.deepEqual(
    beer.input.merges?.map((m) => m.parts),
    [["beer/beerId", "beer/name"]],
  );
  const m = beer.input.columns.length;
  const answer = identity(beer.input);
  // Parts swapped: the check rebuilds the merged texts itself, name first, and counts those.
  const swapped = task.check(beer, { ...answer, parts: [[1, 0]] });
  assert.equal(swapped.valid, true);
  const table = new Table(beer.input);
  const rebuilt = table.remerged([[1, 0]]);
  const field = m - 1;
  assert.equal(rebuilt[0]?.[field], `${table.merges[0]?.cells[0]?.[1]}${table.merges[0]?.cells[0]?.[0]}`);
  assert.equal(swapped.metrics.chars, task.check(beer, answer).metrics.chars);
  assert.equal(swapped.metrics.hit_rate, table.hitRate({ ...answer, parts: [[1, 0]] }));
  // A part cannot be addressed as a field (one index more than there are fields is out of range),
  // nor dropped or repeated.
  const cases: [unknown, RegExp][] = [
    [{ ...answer, fields: answer.fields.map((f) => [m, ...f.slice(1)]) }, /out of range/],
    [{ ...answer, parts: [[1]] }, /parts\[0\] has 1 entries, expected 2 \(every part once\)/],
    [{ ...answer, parts: [[1, 1]] }, /parts\[0\] repeats part 1/],
    [{ ...answer, parts: [[0, 2]] }, /parts\[0\]\[1\] = 2 is out of range 0\.\.1/],
    [
      {
        ...answer,
        parts: [
          [0, 1],
          [0, 1],
        ],
      },
      /parts has 2 entries, expected 1 \(one per merged field\)/,
    ],
    [{ ...answer, parts: "1,0" }, /parts must be an array/],
    [{ ...answer, parts: [[0, "1"]] }, /parts\[0\]\[1\] is "1", not a part index/],
  ];
  for (const [output, reason] of cases) {
    const r = task.check(beer, output);
    assert.equal(r.valid, false);
    assert.match(r.error ?? "", reason);
  }
});

test("route: runtime comes from the sandbox's timer, never from the program", async () => {
  const workloads = await tables("train", 50);
  const results: WorkloadResult[] = workloads.map((w) => ({
    workload: w.id,
    ...task.check(w, { ...identity(w.input), runtime_s: 0 }),
    durationMs: 20_000,
  }));
  const slow = task.aggregate("train", results, workloads);
  assert.equal(slow.metrics.runtime_s, 20);
  assert.equal(slow.metrics.runtime_score, 0);
  const fast = task.aggregate(
    "train",
    results.map((r) => ({ ...r, durationMs: 0 })),
    workloads,
  );
  assert.ok(Math.abs(fast.score - slow.score - 5) < 1e-9);
  // The evaluator hands check the sandbox's timing; it is kept as a metric and used.
  const [w] = workloads;
  assert.ok(w);
  const timed = task.check(w, identity(w.input), { durationMs: 2500 });
  assert.equal(timed.metrics.runtime_ms, 2500);
  const one = task.aggregate("train", [{ workload: w.id, ...timed }], [w]);
  assert.equal(one.metrics.runtime_s, 2.5);
});

test("aggregate: the published formula, per-table metrics, and 0 when any table is invalid or missing", async () => {
  const workloads = await tables("train", 50);
  const ok = (id: string, hit: number, ms: number): WorkloadResult => ({
    workload: id,
    valid: true,
    metrics: { hit_rate: hit },
    durationMs: ms,
  });
  const results = workloads.map((w, i) => ok(w.id, 0.5 + i * 0.05, 1000 * (i + 1)));
  const { score, metrics } = task.aggregate("train", results, workloads);
  const h0 = splitAnchors(workloads).baseline;
  const hit = 0.6;
  const expected = 0.95 * ((hit - h0) / (1 - h0)) * 100 + 0.05 * runtimeScore(3);
  assert.ok(Math.abs(score - expected) < 1e-6, `${score} vs ${expected}`);
  assert.equal(metrics.hit_rate, 0.6);
  assert.equal(metrics.runtime_s, 3);
  assert.equal(metrics["hit_rate.beer"], 0.5);
  assert.equal(metrics["runtime_s.products"], 5);
  assert.equal(runtimeScore(0), 100);
  assert.equal(runtimeScore(12), 0);
  assert.equal(runtimeScore(2.5), 75);
  const broken = [...results.slice(0, 4), { workload: "products", valid: false, metrics: {}, error: "x" }];
  assert.equal(task.aggregate("train", broken, workloads).score, 0);
  assert.equal(task.aggregate("train", results.slice(0, 4), workloads).score, 0);
  // A hit rate below the baseline is clamped: only the runtime term remains.
  const low = workloads.map((w) => ok(w.id, 0, 0));
  assert.equal(task.aggregate("train", low, workloads).score, 5);
});

test("feedback lists invalid tables, then hit rates lowest first with their baseline and time", () => {
  const text = task.feedback?.(
    [
      {
        workload: "beer",
        valid: true,
        metrics: { hit_rate: 0.7, baseline_hit_rate: 0.144, rows: 28479 },
        durationMs: 1500,
      },
      {
        workload: "pdmx",
        valid: true,
        metrics: { hit_rate: 0.52, baseline_hit_rate: 0.024, rows: 12000 },
        durationMs: 500,
      },
      { workload: "bird", valid: false, metrics: {}, error: "order has 3 entries, expected 12000" },
    ],
    [],
  );
  assert.ok(text);
  const lines = text.split("\n");
  assert.match(lines[0] ?? "", /^bird: invalid: order has 3 entries/);
  assert.match(lines[2] ?? "", /pdmx: 52\.0% \[2\.4%\], 12000 rows, 0\.50 s/);
  assert.match(lines[3] ?? "", /beer: 70\.0% \[14\.4%\], 28479 rows, 1\.50 s/);
  assert.match(lines[4] ?? "", /mean time per table 1\.00 s/);
});

test("the api's hitRate is the evaluator's and rejects invalid answers", async () => {
  const [w] = await tables("train", 300);
  assert.ok(w);
  const table = new Table(w.input);
  const answer = bestKnown.reorder(table);
  assert.equal(table.hitRate(answer), task.check(w, answer).metrics.hit_rate);
  assert.throws(
    () => table.hitRate({ order: [0], fields: [[0]] }),
    /hitRate: order has 1 entries, expected 300/,
  );
  assert.equal(table.size, 300);
  assert.equal(table.rows[0]?.[0], w.input.values[w.input.cells[0] as number]);
  assert.throws(() => {
    (table.rows as string[][])[0]?.push("x");
  });
});
