import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  applyEdit,
  applySearchReplace,
  checkEditInBlocks,
  extractFullRewrite,
  findEvolveBlocks,
  parseSearchReplace,
  unifiedDiff,
} from "../src/edit/index.ts";

const PROGRAM = `import { helper } from "./helper.ts";

// EVOLVE-BLOCK-START
export function schedule(txns: number[]): number[] {
    const order: number[] = [];
    for (const t of txns) {
        order.push(t);
    }
    return order;
}
// EVOLVE-BLOCK-END

export const version = 1;
`;

function sr(search: string, replace: string): string {
  return `<<<<<<< SEARCH\n${search}\n=======\n${replace}\n>>>>>>> REPLACE`;
}

function ok(result: ReturnType<typeof applyEdit>): { code: string; diff: string } {
  if (!result.ok) assert.fail(`expected the edit to apply, got: ${result.error}`);
  return result;
}

function err(result: ReturnType<typeof applyEdit>): string {
  if (result.ok) assert.fail("expected the edit to be rejected");
  return result.error;
}

describe("EVOLVE-BLOCK regions", () => {
  test("finds blocks in any comment syntax", () => {
    const code =
      "a\n# EVOLVE-BLOCK-START\nb\n# EVOLVE-BLOCK-END\nc\n  // EVOLVE-BLOCK-START x\nd\n  // EVOLVE-BLOCK-END\n";
    assert.deepEqual(findEvolveBlocks(code), [
      { startLine: 2, endLine: 4 },
      { startLine: 6, endLine: 8 },
    ]);
  });

  test("a marker inside a string is not a marker", () => {
    assert.deepEqual(findEvolveBlocks('const s = "EVOLVE-BLOCK-START";\n'), []);
  });

  test("an unclosed block names its line", () => {
    assert.throws(() => findEvolveBlocks("a\n// EVOLVE-BLOCK-START\nb\n"), /line 2/);
  });

  test("changes inside a block are fine", () => {
    const child = PROGRAM.replace("order.push(t);", "order.unshift(t);");
    assert.equal(checkEditInBlocks(PROGRAM, child), null);
  });

  test("a change outside names the parent's line", () => {
    const child = PROGRAM.replace("export const version = 1;", "export const version = 2;");
    const reason = checkEditInBlocks(PROGRAM, child);
    assert.match(reason ?? "", /^line 13 outside EVOLVE-BLOCK changed: `export const version = 1;`/);
  });

  test("blank lines and trailing spaces outside blocks do not count", () => {
    const child = PROGRAM.replace('"./helper.ts";\n', '"./helper.ts";   \n\n');
    assert.equal(checkEditInBlocks(PROGRAM, child), null);
  });

  test("a parent without markers is evolvable as a whole", () => {
    assert.equal(checkEditInBlocks("a\nb\n", "x\ny\n"), null);
  });
});

describe("SEARCH/REPLACE parsing", () => {
  test("tolerates fences, 5 to 9 marker characters and prose around blocks", () => {
    const reply = [
      "I will reverse the order.",
      "```ts",
      "<<<<< SEARCH",
      "a",
      "=========",
      "b",
      ">>>>>>>>> REPLACE",
      "```",
      "And another:",
      sr("c", ""),
    ].join("\n");
    const blocks = parseSearchReplace(reply);
    assert.deepEqual(
      blocks.map((b) => [b.search, b.replace]),
      [
        ["a", "b"],
        ["c", ""],
      ],
    );
  });

  test("a reply with no blocks is an error", () => {
    assert.throws(() => parseSearchReplace("I think the code is fine."), /no SEARCH\/REPLACE blocks/);
  });

  test("an unclosed block is an error", () => {
    assert.throws(() => parseSearchReplace("<<<<<<< SEARCH\na\n=======\nb\n"), /not closed/);
  });
});

describe("applying SEARCH/REPLACE", () => {
  test("exact match", () => {
    const result = ok(applyEdit(PROGRAM, sr("        order.push(t);", "        order.unshift(t);"), "diff"));
    assert.equal(result.code, PROGRAM.replace("order.push(t);", "order.unshift(t);"));
  });

  test("search indented by 2 while the file uses 4", () => {
    const reply = sr(
      ["  for (const t of txns) {", "    order.push(t);", "  }"].join("\n"),
      ["  for (const t of txns) {", "    if (t > 0) {", "      order.push(t);", "    }", "  }"].join("\n"),
    );
    const result = ok(applyEdit(PROGRAM, reply, "diff"));
    assert.ok(
      result.code.includes(
        [
          "    for (const t of txns) {",
          "        if (t > 0) {",
          "            order.push(t);",
          "        }",
          "    }",
        ].join("\n"),
      ),
      result.code,
    );
  });

  test("a one-line search at a different depth keeps the file's indentation unit", () => {
    const reply = sr("  order.push(t);", ["  if (t > 0) {", "    order.push(t);", "  }"].join("\n"));
    const result = ok(applyEdit(PROGRAM, reply, "diff"));
    assert.ok(
      result.code.includes(["        if (t > 0) {", "            order.push(t);", "        }"].join("\n")),
      result.code,
    );
  });

  test("tabs in the file, spaces in the reply", () => {
    const tabbed = "function f(x) {\n\tif (x) {\n\t\treturn 1;\n\t}\n\treturn 0;\n}\n";
    const reply = sr(
      ["    if (x) {", "        return 1;", "    }"].join("\n"),
      ["    if (x > 1) {", "        return 2;", "    }"].join("\n"),
    );
    const result = ok(applyEdit(tabbed, reply, "diff"));
    assert.equal(result.code, "function f(x) {\n\tif (x > 1) {\n\t\treturn 2;\n\t}\n\treturn 0;\n}\n");
  });

  test("trailing whitespace and blank-line drift", () => {
    const reply = sr(
      ["    const order: number[] = [];   ", "", "", "    for (const t of txns) {"].join("\n"),
      ["    const order: number[] = [0];", "    for (const t of txns) {"].join("\n"),
    );
    const result = ok(applyEdit(PROGRAM, reply, "diff"));
    assert.ok(
      result.code.includes("    const order: number[] = [0];\n    for (const t of txns) {"),
      result.code,
    );
  });

  test("several blocks apply in order, each to the previous result", () => {
    const reply = [
      sr("order.push(t);", "order.push(t * 2);"),
      sr("order.push(t * 2);", "order.push(t * 3);"),
    ].join("\n");
    const result = ok(applyEdit(PROGRAM, reply, "diff"));
    assert.ok(result.code.includes("order.push(t * 3);"));
    assert.ok(!result.code.includes("order.push(t);"));
  });

  test("a repeated search text prefers the copy inside the EVOLVE-BLOCK", () => {
    const code = "let n = 0;\n// EVOLVE-BLOCK-START\nlet n = 0;\n// EVOLVE-BLOCK-END\n";
    assert.equal(
      applySearchReplace(code, [{ search: "let n = 0;", replace: "let n = 1;", line: 1 }]),
      "let n = 0;\n// EVOLVE-BLOCK-START\nlet n = 1;\n// EVOLVE-BLOCK-END\n",
    );
  });

  test("an empty replacement deletes the lines", () => {
    const result = ok(applyEdit(PROGRAM, sr("        order.push(t);", ""), "diff"));
    assert.ok(result.code.includes("for (const t of txns) {\n    }"), result.code);
  });

  test("a block that matches nowhere names its number, first line and the closest line", () => {
    const reply = [
      sr("order.push(t);", "order.push(1);"),
      sr("for (const tx of txns) {", "for (const tx of txns.reverse()) {"),
    ].join("\n");
    const error = err(applyEdit(PROGRAM, reply, "diff"));
    assert.match(error, /^SEARCH block 2 not found: "for \(const tx of txns\) \{"/);
    assert.match(error, /closest line in the program is line 6: "for \(const t of txns\) \{"/);
  });

  test("a partly matching block says where it stops matching", () => {
    const reply = sr("for (const t of txns) {\n    order.add(t);", "x");
    const error = err(applyEdit(PROGRAM, reply, "diff"));
    assert.match(error, /first 1 line\(s\) match from line 6, but then "order.add\(t\);" does not follow/);
  });

  test("a change outside the EVOLVE-BLOCK is rejected with the reason", () => {
    const error = err(
      applyEdit(PROGRAM, sr("export const version = 1;", "export const version = 2;"), "diff"),
    );
    assert.match(
      error,
      /line 13 outside EVOLVE-BLOCK changed: `export const version = 1;` became `export const version = 2;`/,
    );
  });

  test("removing a marker is rejected", () => {
    const error = err(applyEdit(PROGRAM, sr("// EVOLVE-BLOCK-END\n", ""), "diff"));
    assert.match(error, /EVOLVE-BLOCK markers/);
  });

  test("renaming a marker is rejected", () => {
    const error = err(applyEdit(PROGRAM, sr("// EVOLVE-BLOCK-END", "// END OF BLOCK"), "diff"));
    assert.match(error, /EVOLVE-BLOCK/);
  });

  test("an edit that changes nothing is rejected", () => {
    const error = err(applyEdit(PROGRAM, sr("order.push(t);", "order.push(t);"), "diff"));
    assert.equal(error, "the edit changes nothing");
  });
});

describe("full rewrites", () => {
  test("takes the largest code block", () => {
    const reply =
      "Idea.\n```bash\nnpm test and more text here to be long\n```\n```ts\nconst a = 1;\nconst b = 2;\n```\n```\nx\n```";
    assert.equal(extractFullRewrite(reply), "const a = 1;\nconst b = 2;");
  });

  test("a reply without a code block is an error", () => {
    assert.throws(() => extractFullRewrite("No code, sorry."), /no ```ts code block/);
  });

  test("a cut-off code block says so", () => {
    assert.throws(() => extractFullRewrite("```ts\nconst a = 1;\n"), /never closed/);
  });

  test("a rewrite inside the block applies, keeping the parent's final newline", () => {
    const child = PROGRAM.replace("order.push(t);", "order.unshift(t);");
    const result = ok(applyEdit(PROGRAM, "Here:\n```typescript\n" + child.trimEnd() + "\n```\n", "full"));
    assert.equal(result.code, child);
  });

  test("a rewrite that changes code outside the block is rejected", () => {
    const child = PROGRAM.replace('import { helper } from "./helper.ts";', "");
    const error = err(applyEdit(PROGRAM, "```ts\n" + child + "```", "full"));
    assert.match(error, /line 1 outside EVOLVE-BLOCK removed: `import \{ helper \} from "\.\/helper\.ts";`/);
  });
});

describe("diffs", () => {
  test("the diff shows the removed and added lines", () => {
    const result = ok(applyEdit(PROGRAM, sr("order.push(t);", "order.unshift(t);"), "diff"));
    assert.match(result.diff, /^--- a\/program\.ts\n\+\+\+ b\/program\.ts\n/);
    assert.match(result.diff, /^-\s+order\.push\(t\);$/m);
    assert.match(result.diff, /^\+\s+order\.unshift\(t\);$/m);
    assert.ok(!result.diff.includes("export const version"), "context is limited to nearby lines");
  });

  test("equal programs have an empty diff", () => {
    assert.equal(unifiedDiff(PROGRAM, PROGRAM), "");
  });
});
