import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { Program } from "../src/core/types.ts";
import {
  buildPrompt,
  buildRepairPrompt,
  formatNumber,
  loadTemplates,
  renderTemplate,
  truncateProgram,
} from "../src/prompt/index.ts";
import type { FailedAttempt } from "../src/search/proposer.ts";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "adrs-prompt-"));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function program(id: string, code: string, score: number, extra: Partial<Program> = {}): Program {
  return {
    id,
    parentId: null,
    code,
    score,
    metrics: {},
    feedback: "",
    tag: "",
    generation: 0,
    iteration: 0,
    diff: "",
    model: "test:model",
    createdAt: 0,
    ...extra,
  };
}

const PARENT = program(
  "c000004",
  "// EVOLVE-BLOCK-START\nexport const plan = () => [1, 2, 3];\n// EVOLVE-BLOCK-END\n",
  42.123456,
  {
    metrics: { makespan: 1234.5678, conflicts: 3, ratio: 0.0123456 },
    feedback: "workload w7: makespan 2000, worst of all",
  },
);

const SPEC = "Schedule transactions to minimise the makespan.";

describe("templates", () => {
  test("defaults load, each with the text its mode needs", () => {
    const t = loadTemplates();
    assert.match(t.diff, /<<<<<<< SEARCH/);
    assert.match(t.diff, /EVOLVE-BLOCK/);
    assert.match(t.full, /```ts/);
    assert.match(t.repair, /\{\{error\}\}/);
    assert.ok(t.system.length > 0);
  });

  test("a file in the template folder overrides the default of the same name", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "system.md"), "You are a careful scheduler.\n");
    const t = loadTemplates(dir);
    assert.equal(t.system, "You are a careful scheduler.\n");
    assert.equal(t.diff, loadTemplates().diff, "templates without an override keep their default");
  });

  test("an unknown placeholder is an error naming the file and the placeholder", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "repair.md"), "Fix this: {{error}} for {{modle}}\n");
    assert.throws(
      () => loadTemplates(dir),
      (e: Error) => e.message.includes(join(dir, "repair.md")) && e.message.includes("{{modle}}"),
    );
  });

  test("a template missing the code placeholder is an error", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "full.md"), "{{spec}}\nWrite something.\n");
    assert.throws(() => loadTemplates(dir), /full\.md: missing placeholder \{\{parent\}\}/);
  });

  test("a missing template folder is a clear error", () => {
    const missing = join(tempDir(), "nope");
    assert.throws(() => loadTemplates(missing), /template directory not found: .*nope/);
  });

  test("empty sections leave no heading or hole, and values are not expanded again", () => {
    const out = renderTemplate("{{a}}\n\n{{b}}\n\n{{c}}\nend", { a: "A {{b}}", b: "", c: "C" });
    assert.equal(out, "A {{b}}\n\nC\nend");
  });
});

describe("buildPrompt", () => {
  const templates = loadTemplates();
  const inspirations = [
    program("c000002", "export const plan = () => [3, 2, 1];\n", 77.7, { metrics: { makespan: 900 } }),
    program("c000003", "export const plan = () => [2, 1, 3];\n", 12.5),
  ];
  const failures: FailedAttempt[] = [
    { candidateId: "c000009", reason: "evaluation error: TypeError: x is undefined", diff: "-a\n+b\n" },
    { candidateId: "c000008", reason: "SEARCH block 1 not found", diff: "" },
  ];

  test("the user message holds spec, parent, metrics, feedback, inspirations and failures", () => {
    const messages = buildPrompt({
      spec: SPEC,
      parent: PARENT,
      inspirations,
      failures,
      editMode: "diff",
      templates,
    });
    assert.deepEqual(
      messages.map((m) => m.role),
      ["system", "user"],
    );
    const user = messages[1]?.content ?? "";
    assert.ok(user.includes(SPEC));
    assert.ok(user.includes("```ts\n" + PARENT.code.trimEnd() + "\n```"), "parent code in a fence");
    assert.ok(user.includes("Score: 42.12"));
    assert.ok(user.includes("makespan=1235, conflicts=3, ratio=0.01235"));
    assert.ok(user.includes("workload w7: makespan 2000"));
    assert.ok(user.includes("Program c000002 (score 77.7)"));
    assert.ok(user.includes("export const plan = () => [2, 1, 3];"));
    assert.ok(user.indexOf("c000002") < user.indexOf("c000003"), "inspirations keep their order");
    assert.ok(user.includes("TypeError: x is undefined"));
    assert.ok(user.includes("```diff\n-a\n+b\n```"));
    assert.ok(user.indexOf("c000009") < user.indexOf("c000008"), "failures keep their order (newest first)");
    assert.ok(user.includes("<<<<<<< SEARCH"), "diff-mode instructions");
    assert.ok(user.indexOf(SPEC) < user.indexOf(PARENT.code.trim()));
    assert.ok(user.indexOf(PARENT.code.trim()) < user.indexOf("c000002"));
  });

  test("empty sections are left out", () => {
    const parent = { ...PARENT, metrics: {}, feedback: "" };
    const messages = buildPrompt({
      spec: SPEC,
      parent,
      inspirations: [],
      failures: [],
      editMode: "full",
      templates,
    });
    const user = messages[1]?.content ?? "";
    assert.ok(!user.includes("Other programs"));
    assert.ok(!user.includes("failed attempts"));
    assert.ok(!user.includes("Evaluator feedback"));
    assert.ok(!user.includes("Metrics:"));
    assert.ok(!/\n{3,}/.test(user), "no holes where sections were");
    assert.ok(!user.includes("<<<<<<< SEARCH"), "full-mode instructions only");
    assert.match(user, /complete new program/);
  });

  test("a long inspiration keeps its EVOLVE-BLOCK and drops the rest", () => {
    const filler = Array.from({ length: 400 }, (_, i) => `export const c${i} = ${i};`).join("\n");
    const code = `${filler}\n// EVOLVE-BLOCK-START\nexport function plan() { return [7]; }\n// EVOLVE-BLOCK-END\n${filler}\n`;
    const short = truncateProgram(code);
    assert.ok(short.length < 6000);
    assert.ok(
      short.includes("// EVOLVE-BLOCK-START\nexport function plan() { return [7]; }\n// EVOLVE-BLOCK-END"),
    );
    assert.ok(!short.includes("export const c5 = 5;"));
    assert.match(short, /\/\/ … 400 line\(s\) outside the EVOLVE-BLOCK omitted …/);

    const messages = buildPrompt({
      spec: SPEC,
      parent: PARENT,
      inspirations: [program("c000001", code, 50)],
      failures: [],
      editMode: "diff",
      templates,
    });
    assert.ok(messages[1]?.content.includes("return [7];"));
    assert.ok(!messages[1]?.content.includes("export const c5 = 5;"));
  });

  test("the parent is never truncated", () => {
    const long = `// EVOLVE-BLOCK-START\n${"x();\n".repeat(3000)}// EVOLVE-BLOCK-END\n`;
    const messages = buildPrompt({
      spec: SPEC,
      parent: { ...PARENT, code: long },
      inspirations: [],
      failures: [],
      editMode: "diff",
      templates,
    });
    assert.ok(messages[1]?.content.includes(long.trimEnd()));
  });

  test("code containing a fence gets a longer fence", () => {
    const code = "const md = `\n```js\nx\n```\n`;\n";
    const messages = buildPrompt({
      spec: SPEC,
      parent: { ...PARENT, code },
      inspirations: [],
      failures: [],
      editMode: "diff",
      templates,
    });
    assert.ok(messages[1]?.content.includes("````ts\n" + code.trimEnd() + "\n````"));
  });

  test("the repair prompt appends the reply and the error", () => {
    const messages = buildPrompt({
      spec: SPEC,
      parent: PARENT,
      inspirations: [],
      failures: [],
      editMode: "diff",
      templates,
    });
    const repair = buildRepairPrompt(messages, "my reply", 'SEARCH block 1 not found: "foo"', templates);
    assert.equal(repair.length, 4);
    assert.deepEqual(repair.slice(0, 2), messages);
    assert.deepEqual(repair[2], { role: "assistant", content: "my reply" });
    assert.equal(repair[3]?.role, "user");
    assert.ok(repair[3]?.content.includes('SEARCH block 1 not found: "foo"'));
    assert.ok(!repair[3]?.content.includes("{{"));
  });
});

describe("numbers", () => {
  test("are rounded to be short but comparable", () => {
    assert.equal(formatNumber(3), "3");
    assert.equal(formatNumber(1234.5678), "1235");
    assert.equal(formatNumber(12.34567), "12.35");
    assert.equal(formatNumber(0.000123456), "0.0001235");
    assert.equal(formatNumber(Number.NaN), "NaN");
  });
});
