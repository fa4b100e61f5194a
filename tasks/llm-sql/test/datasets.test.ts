import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Rng } from "../../../src/core/rng.ts";
import { encodeTable, headOf, mergeColumns, parseCsv } from "../datasets.ts";
import { beer, bird, childCounts, movies, pdmx, products, Random } from "../generators.ts";
import { rowCount } from "../table.ts";
import { beerTable, DATA_DIR_VARIABLE, encodeDataset, testWorkloads, trainWorkloads } from "../workloads.ts";

test("CSV: quotes, doubled quotes, line breaks inside quotes, CRLF, BOM, short records", () => {
  const t = parseCsv('\uFEFFa,b,c\r\n1,"x, ""y""",\r\n"multi\nline",2\n\n', "t.csv");
  assert.deepEqual(t.columns, ["a", "b", "c"]);
  assert.deepEqual(t.rows, [
    ["1", 'x, "y"', ""],
    ["multi\nline", "2", ""],
  ]);
});

test("CSV errors name the file and the line or record", () => {
  assert.throws(
    () => parseCsv('a,b\n1,"open\n2,3\n', "bad.csv"),
    /bad\.csv: line 2: a quoted field is never closed/,
  );
  assert.throws(
    () => parseCsv("a,b\n1,2,3\n", "wide.csv"),
    /wide\.csv: record 1 has 3 fields, the header has 2/,
  );
  assert.throws(() => parseCsv('a\nx"y\n', "q.csv"), /q\.csv: line 2: a quote inside an unquoted field/);
  assert.throws(() => parseCsv("", "empty.csv"), /empty\.csv: no header line/);
});

test("merges concatenate each group in its order, after the remaining columns, as published", () => {
  const raw = { columns: ["id", "name", "x", "y", "z"], rows: [["7", "Ale", "1", "2", "3"]] };
  const m = mergeColumns(
    raw,
    [
      ["id", "name"],
      ["z", "x"],
    ],
    "t",
  );
  assert.deepEqual(m.columns, ["y", "id_name", "z_x"]);
  assert.deepEqual(m.rows, [["2", "7Ale", "31"]]);
  // The parts stay beside the table (a program may order them), and survive encoding and headOf.
  assert.deepEqual(m.merges, [
    { field: 1, parts: ["id", "name"], rows: [["7", "Ale"]] },
    { field: 2, parts: ["z", "x"], rows: [["3", "1"]] },
  ]);
  const encoded = encodeTable(m);
  assert.deepEqual(
    encoded.merges?.map((g) => [g.field, g.parts, g.cells.map((id) => encoded.values[id])]),
    [
      [1, ["id", "name"], ["7", "Ale"]],
      [2, ["z", "x"], ["3", "1"]],
    ],
  );
  assert.deepEqual(headOf(encoded, 1), encoded);
  assert.throws(() => mergeColumns(raw, [["id", "nope"]], "t"), /t: merge names column "nope"/);
  assert.throws(() => mergeColumns(raw, [["id"], ["id", "x"]], "t"), /column "id" is in two merges/);
});

test("encoding deduplicates texts; headOf keeps the first rows", () => {
  const t = encodeTable({
    columns: ["a", "b"],
    rows: [
      ["x", "y"],
      ["x", "x"],
      ["z", "y"],
    ],
  });
  assert.deepEqual(t.values, ["x", "y", "z"]);
  assert.deepEqual(t.cells, [0, 1, 0, 0, 2, 1]);
  assert.equal(rowCount(t), 3);
  const h = headOf(t, 2);
  assert.deepEqual(h, { columns: ["a", "b"], values: ["x", "y"], cells: [0, 1, 0, 0] });
});

test("beer.csv: 28,479 rows, the id and name merged into one field", () => {
  const t = beerTable();
  assert.equal(rowCount(t), 28_479);
  assert.deepEqual(t.columns, [
    "review/profileName",
    "review/time",
    "review/overall",
    "review/taste",
    "review/palate",
    "review/appearance",
    "beer/style",
    "beer/beerId_beer/name",
  ]);
  assert.equal(t.values[t.cells[7] as number], "63836John Harvards Simcoe IPA");
});

test("a missing data file names the path and the variable that moves it", () => {
  const dir = mkdtempSync(join(tmpdir(), "llm-sql-data-"));
  const saved = process.env[DATA_DIR_VARIABLE];
  process.env[DATA_DIR_VARIABLE] = dir;
  try {
    assert.throws(
      () => beerTable(),
      (e: Error) =>
        e.message.includes(join(dir, "llm-sql", "beer.csv")) && e.message.includes("ADRS_DATA_DIR"),
    );
  } finally {
    if (saved === undefined) delete process.env[DATA_DIR_VARIABLE];
    else process.env[DATA_DIR_VARIABLE] = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test("child counts are heavy-tailed, at least one each, and sum to the rows", () => {
  const counts = childCounts(new Random(new Rng(1)), 500, 10_000);
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    10_000,
  );
  assert.ok(counts.every((c) => c >= 1));
  const sorted = [...counts].sort((a, b) => b - a);
  // The top 10 % of parents hold far more than 10 % of the rows.
  assert.ok(sorted.slice(0, 50).reduce((a, b) => a + b, 0) > 3000);
});

test("generators are deterministic and shaped like their datasets (small sizes)", () => {
  const size = { rows: 600, parents: 60 };
  for (const [name, generate, merged] of [
    ["movies", movies, "movieinfo_movietitle_rottentomatoeslink"],
    ["bird", bird, "PostId_Body"],
    ["pdmx", pdmx, "hasmetadata_isofficial_isuserpublisher_isdraft_hasannotations_subsetall"],
    ["products", products, "product_title_parent_asin"],
    ["beer", beer, "beer/beerId_beer/name"],
  ] as const) {
    const a = encodeDataset(generate(new Rng(3), size), name);
    const b = encodeDataset(generate(new Rng(3), size), name);
    assert.deepEqual(a, b, name);
    assert.notDeepEqual(encodeDataset(generate(new Rng(4), size), name).values, a.values, name);
    assert.equal(rowCount(a), 600, name);
    assert.ok(a.columns.includes(merged), `${name}: ${a.columns.join(", ")}`);
    // Long parent texts repeat: far fewer distinct texts than cells.
    const col = a.columns.indexOf(merged);
    const distinct = new Set(Array.from({ length: 600 }, (_, r) => a.cells[r * a.columns.length + col])).size;
    assert.ok(distinct < 600 * 0.5 || name === "pdmx", `${name}: ${distinct} distinct merged values`);
  }
});

test("splits: beer.csv and four generated tables to train on, five held-out generated tables to test on", () => {
  const train = trainWorkloads();
  const test = testWorkloads();
  assert.deepEqual(
    train.map((w) => w.id),
    ["beer", "movies", "bird", "pdmx", "products"],
  );
  assert.deepEqual(
    test.map((w) => w.id),
    ["beer", "movies", "bird", "pdmx", "products"],
  );
  assert.ok(train.every((w) => w.split === "train") && test.every((w) => w.split === "test"));
  assert.equal(train[0]?.input, beerTable());
  for (let i = 0; i < 5; i++) {
    const a = train[i]?.input;
    const b = test[i]?.input;
    assert.ok(a && b);
    assert.deepEqual(a.columns, b.columns, `${train[i]?.id}: same shape`);
    const seen = new Set(a.values);
    // Long texts (not the few fixed strings such as licence URLs) are drawn anew.
    const shared = b.values.filter((v) => v.length > 100 && seen.has(v)).length;
    assert.equal(shared, 0, `${train[i]?.id}: no long text of train reappears in test`);
  }
  // The same objects on every call: tables are generated once per process.
  assert.equal(trainWorkloads(), train);
  assert.equal(testWorkloads(), test);
});
