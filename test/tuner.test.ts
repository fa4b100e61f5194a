import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Rng } from "../src/core/rng.ts";
import type { Program } from "../src/core/types.ts";
import { findNumericLiterals, type ProposalContext, stepSize, TunerProposer } from "../src/search/index.ts";

const PROGRAM = `const OUTSIDE = 42;

// EVOLVE-BLOCK-START
const CANDIDATES = 10;
const alpha: number = 0.25; // weight 7 in a comment
const label = "retry 3 times";
/* 99 bottles */
export function pick(xs: number[]): number {
  let best = xs[0];
  for (let i = 0; i < xs.length; i += 1) {
    if (xs[i] * 1.5 > best + -2) best = xs[i];
  }
  return best > 1e-3 ? Math.min(best, 250) : \`n=\${xs.length} of 5\`.length;
}
// EVOLVE-BLOCK-END

export const version = 3;
`;

function parent(code: string, fields: Partial<Program> = {}): Program {
  return {
    id: "p",
    parentId: null,
    code,
    score: 40,
    metrics: {},
    feedback: "",
    tag: "",
    generation: 0,
    iteration: 0,
    diff: "",
    model: "initial",
    createdAt: 0,
    ...fields,
  };
}

function context(code: string, seed: number, fields: Partial<ProposalContext> = {}): ProposalContext {
  return {
    iteration: 1,
    parent: parent(code),
    inspirations: [],
    failures: [],
    spec: "",
    rng: new Rng(seed),
    ...fields,
  };
}

describe("findNumericLiterals", () => {
  test("finds the literals inside the blocks, not in strings, comments, indices or outside", () => {
    const found = findNumericLiterals(PROGRAM).map((l) => [l.text, l.integer, l.label]);
    assert.deepEqual(found, [
      ["10", true, "CANDIDATES"],
      ["0.25", false, "alpha"],
      ["1.5", false, null],
      ["2", true, null],
      ["1e-3", false, null],
      ["250", true, null],
    ]);
  });

  test("offsets and lines point at the literal", () => {
    for (const l of findNumericLiterals(PROGRAM)) {
      assert.equal(PROGRAM.slice(l.start, l.end), l.text);
      assert.ok(PROGRAM.split("\n")[l.line - 1]!.includes(l.text));
    }
  });

  test("without markers the whole file counts; template expressions are code, template text is not", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the program under test holds a template literal
    const code = "const a = 4;\nconst s = `x 8 ${a * 16} y`;\nconst r = /a{3}/g;\nconst h = 0xff + 7n;\n";
    assert.deepEqual(
      findNumericLiterals(code).map((l) => l.text),
      ["4", "16"],
    );
  });

  test("skips case labels and divisions are not regular expressions", () => {
    const code = "switch (k) { case 4: return w / 2 / 3; }\n";
    assert.deepEqual(
      findNumericLiterals(code).map((l) => l.text),
      ["2", "3"],
    );
  });
});

describe("TunerProposer", () => {
  test("changes one to three literals, only inside the blocks, integers stay integers and signs stay", async () => {
    const tuner = new TunerProposer();
    const literals = findNumericLiterals(PROGRAM);
    const counts = new Set<number>();
    for (let seed = 1; seed <= 60; seed++) {
      const p = await tuner.propose(context(PROGRAM, seed));
      assert.ok(p.code !== null && p.rejection === undefined);
      assert.equal(p.model, "tuner");
      assert.equal(p.prompt, "");
      assert.deepEqual(p.usage, { inputTokens: 0, outputTokens: 0, costUsd: 0 });
      const before = PROGRAM.split("\n");
      const after = p.code.split("\n");
      assert.equal(after.length, before.length);
      let changedLines = 0;
      for (let i = 0; i < before.length; i++) {
        if (before[i] === after[i]) continue;
        changedLines++;
        assert.ok(i + 1 > 3 && i + 1 < 15, `line ${i + 1} is outside the block`);
      }
      assert.ok(changedLines >= 1);
      // The child's literals line up with the parent's: same count, same kinds, same signs.
      const child = findNumericLiterals(p.code);
      assert.equal(child.length, literals.length);
      let changed = 0;
      child.forEach((c, k) => {
        const l = literals[k]!;
        if (c.text !== l.text) changed++;
        assert.equal(c.integer, l.integer, `${l.text} → ${c.text}`);
        assert.ok(c.value > 0);
        if (c.integer) assert.ok(Number.isInteger(c.value));
      });
      assert.ok(changed >= 1 && changed <= 3, `${changed} changed`);
      counts.add(changed);
      assert.ok(p.code.includes("best + -2") || /best \+ -\d+/.test(p.code), "the minus sign stays");
      assert.match(p.diff, /^--- a\/program\.ts/m);
      assert.match(p.diff, /^\+.*\S/m);
      assert.match(p.reply, /→/);
    }
    assert.deepEqual([...counts].sort(), [1, 2, 3]);
  });

  test("the reply names the constant that moved", async () => {
    const code = "const CANDIDATES = 10;\n";
    const p = await new TunerProposer().propose(context(code, 3));
    assert.match(p.reply, /^CANDIDATES 10 → \d+ \(σ/);
    assert.match(p.code ?? "", /^const CANDIDATES = \d+;\n$/);
    assert.notEqual(p.code, code);
  });

  test("the same seed gives the same child; other seeds explore", async () => {
    const tuner = new TunerProposer();
    const a = await tuner.propose(context(PROGRAM, 11));
    const b = await new TunerProposer().propose(context(PROGRAM, 11));
    assert.deepEqual(a, b);
    const children = new Set<string | null>();
    for (let seed = 0; seed < 20; seed++) children.add((await tuner.propose(context(PROGRAM, seed))).code);
    assert.ok(children.size > 10);
  });

  test("a program without tunable literals is rejected with a reason", async () => {
    const code =
      "// EVOLVE-BLOCK-START\nexport const f = (xs: number[]) => xs[0] + 1;\n// EVOLVE-BLOCK-END\nconst k = 5;\n";
    const p = await new TunerProposer().propose(context(code, 1));
    assert.equal(p.code, null);
    assert.equal(p.diff, "");
    assert.equal(p.model, "tuner");
    assert.match(p.rejection ?? "", /no numeric literal/);
  });

  test("broken markers are a rejection, not a crash", async () => {
    const p = await new TunerProposer().propose(context("// EVOLVE-BLOCK-START\nconst a = 5;\n", 1));
    assert.equal(p.code, null);
    assert.match(p.rejection ?? "", /never closed/);
  });

  test("the step grows with the parent's improving children and shrinks with its failures", () => {
    const base = stepSize({ parent: parent(""), inspirations: [], failures: [] });
    assert.equal(base, 0.2);
    const child = (id: string, score: number) => parent("", { id, parentId: "p", score });
    const better = stepSize({ parent: parent(""), inspirations: [child("a", 60)], failures: [] });
    const failing = stepSize({
      parent: parent(""),
      inspirations: [],
      failures: [1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({ candidateId: `c${i}`, reason: "timeout", diff: "" })),
    });
    const balanced = stepSize({
      parent: parent(""),
      inspirations: [child("a", 60), child("b", 10), child("c", 20), child("d", 30), child("e", 40)],
      failures: [],
    });
    assert.ok(better > base && failing < base);
    assert.ok(Math.abs(balanced - base) < 1e-12, "one success in five keeps the step");
    const floor = stepSize({
      parent: parent(""),
      inspirations: [],
      failures: Array.from({ length: 100 }, (_, i) => ({ candidateId: `c${i}`, reason: "x", diff: "" })),
    });
    assert.equal(floor, 0.02);
  });
});
