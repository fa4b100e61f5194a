/**
 * The README's exit-code table is the contract: each row's command runs in a
 * fresh clone (so what a command writes stays out of the repository) and must
 * exit with the row's code and print the row's words.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Clone, cloneRepository, nodeInAsync, REPOSITORY } from "./support/clone.ts";

interface Row {
  command: string;
  exit: number;
  says: string;
}

function contractRows(): Row[] {
  const readme = readFileSync(join(REPOSITORY, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### Exit codes"));
  const table = section.slice(0, section.indexOf("\n\n", section.indexOf("| command |")));
  const rows: Row[] = [];
  for (const line of table.split("\n")) {
    const m = /^\| `adrs ([^`]+)`[^|]* \| (\d) \| `([^`]+)` \|$/.exec(line);
    if (m) rows.push({ command: m[1] as string, exit: Number(m[2]), says: m[3] as string });
  }
  return rows;
}

const rows = contractRows();
let clone: Clone;
before(() => {
  clone = cloneRepository();
  // Built once here, not by the first rows at once (that race is test/cli-build.test.ts's).
  execFileSync(process.execPath, ["bin/build.mjs"], { cwd: clone.dir, stdio: "ignore" });
});
after(() => clone.remove());

test("the README's table covers every exit code", () => {
  assert.ok(rows.length >= 20, `${rows.length} rows found`);
  assert.deepEqual([...new Set(rows.map((r) => r.exit))].sort(), [0, 1, 2]);
});

describe("each row of the README's table", { concurrency: 3 }, () => {
  for (const row of rows) {
    test(`adrs ${row.command} exits ${row.exit} and says "${row.says}"`, async () => {
      const r = await nodeInAsync(clone.dir, ["bin/adrs.js", ...row.command.split(" ")]);
      const output = `${r.stdout}\n${r.stderr}`;
      assert.equal(r.code, row.exit, output);
      assert.ok(output.includes(row.says), output);
      // Bad input is one clear line, never a stack trace.
      if (row.exit === 2) assert.doesNotMatch(output, /\n\s+at /);
    });
  }
});
