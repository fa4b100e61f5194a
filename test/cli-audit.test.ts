/**
 * `adrs audit`: exit 0 without a weakness, 1 with one (the JSON names it), 2
 * for bad usage; progress on stderr, the report on stdout.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { userEnv } from "./support/clone.ts";

const root = join(import.meta.dirname, "..");

function adrs(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/adrs.js", "audit", ...args], {
    cwd: root,
    encoding: "utf8",
    env: userEnv(),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("a weakness exits 1 and the JSON names its class, probe and reason", () => {
  const r = adrs("prism", "test/fixtures/audit/prism/crash-empty.ts", "--split", "stress", "--json");
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.verdicts.crash, "fail");
  assert.deepEqual(
    report.weaknesses.map((w: { where: string }) => w.where),
    ["stress/no_models"],
  );
  assert.match(report.summary, /^1 weakness on \d+ probes: crash$/);
  assert.match(r.stderr, /audit: \d+\/\d+ runs/);
});

test("the seed against itself exits 0 with a text report: probes, growth, leak, verdicts, summary", () => {
  const r = adrs("prism", "tasks/prism/initial.ts", "--split", "stress");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^audit prism: tasks\/prism\/initial\.ts against the seed \(initial\.ts\)/);
  assert.match(r.stdout, /stress\/no_models .* edge: 4 GPUs, no models/);
  assert.match(r.stdout, /growth with size .*\n {2}published +16…512 +time/);
  assert.match(r.stdout, /leak: kept heap over 8 calls on case_\d+/);
  assert.match(
    r.stdout,
    /verdicts: crash pass · slow pass · memory pass · worse pass · nondeterministic pass/,
  );
  assert.match(r.stdout, /summary: no weakness found on \d+ probes/);
});

test("bad usage exits 2 and names what is wrong", () => {
  const missing = adrs("prism", "no/such/program.ts");
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no\/such\/program\.ts: no such program file/);
  const task = adrs("no-such-task", "tasks/prism/initial.ts");
  assert.equal(task.code, 2);
  assert.match(task.stderr, /Unknown task "no-such-task"/);
  const split = adrs("prism", "tasks/prism/initial.ts", "--split", "both");
  assert.equal(split.code, 2);
  assert.match(split.stderr, /--split/);
  const baseline = adrs(
    "prism",
    "tasks/prism/initial.ts",
    "--baseline",
    "test/fixtures/audit/prism/api.ts.missing",
  );
  assert.equal(baseline.code, 2);
  assert.match(baseline.stderr, /no such program file/);
});

test("--baseline compares with another program: the seed is worse than the swap pass it lacks", () => {
  const r = adrs(
    "prism",
    "tasks/prism/initial.ts",
    "--baseline",
    "test/fixtures/audit/prism/blowup.ts",
    "--split",
    "stress",
    "--json",
  );
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.baseline, "test/fixtures/audit/prism/blowup.ts");
  // Faster than that baseline everywhere, and worse where its swaps pay off.
  assert.deepEqual([...new Set(report.weaknesses.map((w: { class: string }) => w.class))], ["worse"]);
  assert.equal(report.verdicts.slow, "pass");
});

test("a baseline that does not compile is bad usage, named", () => {
  const r = adrs("prism", "tasks/prism/initial.ts", "--baseline", "README.md", "--split", "stress");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /README\.md: the baseline does not compile/);
});
