/** A comparison's statistics, table and SVG plots on hand-made runs. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RunRecord } from "../src/compare/record.ts";
import { meanCurve, runFigures, summarise } from "../src/compare/summarise.ts";
import { lineChart, ticks } from "../src/compare/svg.ts";
import { markdownTable, show } from "../src/compare/table.ts";
import { meanSd } from "../src/core/stats.ts";

function record(
  strategy: string,
  seed: number,
  curve: [number, number, number, number | null][],
  extra: Partial<RunRecord> = {},
): RunRecord {
  return {
    strategy,
    seed,
    name: `${strategy}-seed${seed}`,
    state: "stopped",
    stopReason: "iterations",
    iterations: curve.at(-1)?.[0] ?? 0,
    evaluations: 10,
    usd: curve.at(-1)?.[1] ?? 0,
    activeSeconds: 1800,
    curve: curve.map(([iteration, usd, train, test]) => ({ iteration, usd, train, test })),
    ...extra,
  };
}

test("mean and sample standard deviation", () => {
  assert.deepEqual(meanSd([]), { mean: null, sd: null, n: 0 });
  assert.deepEqual(meanSd([7]), { mean: 7, sd: 0, n: 1 });
  const { mean, sd } = meanSd([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(mean, 5);
  // Sum of squares 32 over n − 1 = 7.
  assert.ok(Math.abs(sd! - Math.sqrt(32 / 7)) < 1e-12);
});

test("a run's figures: best, 90 % of the final best reached, rate", () => {
  const r = record("a", 1, [
    [0, 0, 40, 30],
    [3, 0.3, 80, 70],
    [7, 0.9, 90, 75],
    [10, 1.2, 90, 75],
  ]);
  const f = runFigures(r);
  assert.equal(f.bestTrain, 90);
  assert.equal(f.bestTest, 75);
  // 0.9 × 90 = 81: iteration 3 (80) falls short, iteration 7 reaches it.
  assert.equal(f.iterationsTo90, 7);
  assert.equal(f.usdTo90, 0.9);
  assert.equal(f.evaluationsPerHour, 20);
  // A seed that is already 90 % of the final best reaches it at iteration 0.
  assert.equal(
    runFigures(
      record("a", 2, [
        [0, 0, 95, 90],
        [5, 0, 100, 90],
      ]),
    ).iterationsTo90,
    0,
  );
  const none = runFigures(record("a", 3, [], { activeSeconds: 0 }));
  assert.deepEqual(none, {
    bestTrain: null,
    bestTest: null,
    iterationsTo90: null,
    usdTo90: null,
    evaluationsPerHour: 0,
  });
});

test("mean curves step at every x where one run steps; a missing test score leaves a gap", () => {
  const a = record("s", 1, [
    [0, 0, 40, 30],
    [4, 1, 60, 50],
    [10, 2, 60, 50],
  ]).curve;
  const b = record("s", 2, [
    [0, 0, 40, 30],
    [2, 0.5, 50, null],
    [10, 3, 50, null],
  ]).curve;
  assert.deepEqual(
    meanCurve([a, b], (p) => p.iteration),
    [
      [0, 40, 30],
      [2, 45, null],
      [4, 55, null],
      [10, 55, null],
    ],
  );
  assert.deepEqual(
    meanCurve([a, b], (p) => p.usd).map((p) => p[0]),
    [0, 0.5, 1, 2, 3],
  );
});

test("summarise groups by strategy in the given order, and the table shows mean ± sd", () => {
  const runs = [
    record("hill-climb", 1, [
      [0, 0, 40, 30],
      [5, 0, 60, 50],
    ]),
    record("hill-climb", 2, [
      [0, 0, 40, 30],
      [5, 0, 50, 44],
    ]),
    record("islands", 1, [
      [0, 0, 40, 30],
      [5, 0, 70, 66],
    ]),
  ];
  const s = summarise(
    { task: "t", strategies: ["islands", "hill-climb", "gepa"], seeds: [1, 2], shared: {} },
    runs,
  );
  assert.deepEqual(
    s.byStrategy.map((x) => [x.strategy, x.runs, x.bestTrain.mean]),
    [
      ["islands", 1, 70],
      ["hill-climb", 2, 55],
      ["gepa", 0, null],
    ],
  );
  assert.ok(Math.abs(s.byStrategy[1]!.bestTrain.sd! - Math.sqrt(50)) < 1e-12);
  const table = markdownTable(s);
  const rows = table.split("\n").filter((l) => l.startsWith("| `"));
  assert.deepEqual(
    rows.map((r) => r.split(" | ").slice(0, 4)),
    [
      ["| `islands`", "1", "70.00", "66.00"],
      ["| `hill-climb`", "2", "55.00 ± 7.07", "47.00 ± 4.24"],
      ["| `gepa`", "0", "–", "–"],
    ],
  );
  assert.equal(show({ mean: 1.234, sd: 0.5, n: 3 }, 1), "1.2 ± 0.5");
});

test("ticks are round numbers covering the range", () => {
  assert.deepEqual(ticks(35.08, 44.6), [34, 36, 38, 40, 42, 44, 46]);
  assert.deepEqual(ticks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(ticks(0, 100), [0, 20, 40, 60, 80, 100]);
});

test("the SVG chart: one step polyline per line and gap, points inside the plot, labels escaped", () => {
  const svg = lineChart({
    title: "a <b> & c",
    x: "iteration",
    y: "score",
    lines: [
      {
        label: "one",
        color: "#000000",
        points: [
          [0, 10],
          [5, 20],
          [10, 20],
        ],
      },
      {
        label: 'two "quoted"',
        color: "#ff0000",
        dash: true,
        points: [
          [0, 10],
          [3, null],
          [6, 30],
          [8, 40],
        ],
      },
    ],
    width: 400,
    height: 300,
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.ok(svg.includes("a &lt;b&gt; &amp; c"));
  assert.ok(svg.includes("two &quot;quoted&quot;"));
  const polylines = [...svg.matchAll(/<polyline data-line="([^"]*)"[^>]*points="([^"]*)"/g)];
  // "one" is one run of points; "two" is broken by its null into two.
  assert.deepEqual(
    polylines.map((m) => m[1]),
    ["one", "two &quot;quoted&quot;", "two &quot;quoted&quot;"],
  );
  const one = polylines[0]![2]!.split(" ").map((p) => p.split(",").map(Number));
  // Steps: (0,10) (5,10) (5,20) (10,20).
  assert.equal(one.length, 4);
  assert.equal(one[1]![1], one[0]![1]);
  assert.equal(one[2]![0], one[1]![0]);
  for (const [x, y] of polylines.flatMap((m) => m[2]!.split(" ").map((p) => p.split(",").map(Number)))) {
    assert.ok(x! >= 56 && x! <= 400 - 16 && y! >= 32 && y! <= 300 - 44, `${x},${y} inside the plot`);
  }
  assert.match(svg, /stroke-dasharray="6 4" points=/);
  // A chart with no data says so instead of failing.
  assert.match(lineChart({ title: "t", x: "x", y: "y", lines: [] }), /no data/);
});
