import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../../src/core/rng.ts";
import { countHits, type EncodedRows, hitRate } from "../hits.ts";

/** The published definition, kept literal: a character trie walked row by row, in order. */
function literalHits(rows: string[]): { hits: number; chars: number } {
  type Node = Map<string, Node>;
  const root: Node = new Map();
  let hits = 0;
  let chars = 0;
  for (const s of rows) {
    chars += s.length;
    let node = root;
    let depth = 0;
    for (const ch of s.split("")) {
      const next = node.get(ch);
      if (!next) break;
      node = next;
      depth++;
    }
    hits += Math.min(depth, s.length);
    node = root;
    for (const ch of s.split("")) {
      let next = node.get(ch);
      if (!next) {
        next = new Map();
        node.set(ch, next);
      }
      node = next;
    }
  }
  return { hits, chars };
}

function encode(rows: string[][]): EncodedRows {
  const values: string[] = [];
  const idOf = new Map<string, number>();
  const width = rows[0]?.length ?? 0;
  const ids = new Int32Array(rows.length * width);
  rows.forEach((row, k) => {
    row.forEach((v, p) => {
      let id = idOf.get(v);
      if (id === undefined) {
        id = values.length;
        values.push(v);
        idOf.set(v, id);
      }
      ids[k * width + p] = id;
    });
  });
  return { values, width, ids };
}

test("the sorted-trie count agrees with a literal trie walk on random tables", () => {
  const rng = new Rng(5);
  // Small alphabets and shared stems make prefixes cross cell boundaries.
  const stems = ["", "a", "ab", "abc", "b", "ba", "xyz", "é", "ab\u0000"];
  for (let round = 0; round < 200; round++) {
    const width = 1 + rng.int(4);
    const n = 1 + rng.int(25);
    const rows: string[][] = [];
    for (let k = 0; k < n; k++) {
      if (k > 0 && rng.next() < 0.2) {
        rows.push([...(rows[rng.int(k)] as string[])]);
        continue;
      }
      rows.push(
        Array.from({ length: width }, () => rng.pick(stems) + (rng.next() < 0.5 ? rng.pick(stems) : "")),
      );
    }
    const literal = literalHits(rows.map((r) => r.join("")));
    assert.deepEqual(countHits(encode(rows)), literal, `round ${round}: ${JSON.stringify(rows)}`);
  }
});

test("hand-worked cases: prefixes run across cells, duplicates hit in full", () => {
  // "abc" then "abcd": 3 shared; then "abc" again: 3 (whole row).
  assert.deepEqual(
    countHits(
      encode([
        ["ab", "c"],
        ["abc", "d"],
        ["a", "bc"],
      ]),
    ),
    { hits: 6, chars: 10 },
  );
  assert.deepEqual(countHits(encode([["x"]])), { hits: 0, chars: 1 });
  assert.deepEqual(
    countHits(
      encode([
        ["", ""],
        ["", ""],
      ]),
    ),
    { hits: 0, chars: 0 },
  );
  assert.equal(hitRate(encode([["", ""]])), 0);
});

test("the hit count of a set of rows does not depend on their order", () => {
  const rng = new Rng(9);
  const rows = Array.from({ length: 40 }, () => [
    rng.pick(["aa", "ab", "b"]),
    rng.pick(["x", "xy", ""]),
    String(rng.int(5)),
  ]);
  const a = countHits(encode(rows));
  for (let i = 0; i < 5; i++) {
    const shuffled = rng.shuffle([...rows]);
    assert.deepEqual(literalHits(shuffled.map((r) => r.join(""))), a);
  }
});
