/**
 * `adrs doctor`: one line per check, ok here (CI and the development machine
 * have the addons, bubblewrap and the data); a broken data set is an error
 * with its fix; model keys are named, never shown.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { userEnv } from "./support/clone.ts";
import { tempDir } from "./support/run-helpers.ts";

const root = join(import.meta.dirname, "..");

interface Check {
  name: string;
  status: "ok" | "warning" | "error";
  detail: string;
  fix?: string;
}

function doctor(env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, ["bin/adrs.js", "doctor", "--json"], {
    cwd: root,
    encoding: "utf8",
    env,
  });
  const report = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
  return { code: r.status, report, stdout: r.stdout, byName: new Map(report.checks.map((c) => [c.name, c])) };
}

test("adrs doctor passes on this machine and names the keys that are set, never their values", () => {
  const secret = "sk-doctor-must-not-print-this";
  const { code, report, stdout, byName } = doctor(userEnv({ OPENAI_API_KEY: secret }));
  assert.equal(code, 0, stdout);
  assert.equal(report.ok, true);
  for (const name of ["node", "cli build", "better-sqlite3", "isolated-vm", "evaluation", "disk"]) {
    assert.equal(byName.get(name)?.status, "ok", `${name}: ${JSON.stringify(byName.get(name))}`);
  }
  // The machines the tests run on confine candidates with bubblewrap.
  assert.equal(byName.get("sandbox")?.status, "ok", JSON.stringify(byName.get("sandbox")));
  assert.match(byName.get("sandbox")?.detail ?? "", /^bubblewrap/);
  for (const set of ["txn-scheduling", "prism", "cloudcast", "llm-sql", "telemetry-repair", "cant-be-late"]) {
    assert.equal(byName.get(`data ${set}`)?.status, "ok");
  }
  assert.equal(byName.get("model keys")?.status, "ok");
  assert.match(byName.get("model keys")?.detail ?? "", /set: OPENAI_API_KEY; not set: ANTHROPIC_API_KEY/);
  assert.ok(!stdout.includes(secret));
  for (const c of report.checks) assert.ok(c.status === "ok" || c.fix, `${c.name} says what to do`);
});

test("adrs doctor reports a corrupt data set as an error with its fix, and exits 1", () => {
  const data = join(tempDir("doctor"), "data");
  cpSync(join(root, "data"), data, { recursive: true });
  writeFileSync(join(data, "prism", "cases.json"), "{}");
  rmSync(join(data, "llm-sql", "SHA256SUMS"));
  const { code, report, byName } = doctor(userEnv({ ADRS_DATA_DIR: data }));
  assert.equal(code, 1);
  assert.equal(report.ok, false);
  const prism = byName.get("data prism");
  assert.equal(prism?.status, "error");
  assert.match(prism?.detail ?? "", /cases\.json is corrupt or truncated/);
  assert.match(prism?.fix ?? "", /unset ADRS_DATA_DIR/);
  assert.equal(byName.get("data llm-sql")?.status, "warning");
  assert.equal(byName.get("data txn-scheduling")?.status, "ok");
  // No key set: a warning that says how to set one.
  assert.equal(byName.get("model keys")?.status, "warning");
  assert.match(byName.get("model keys")?.fix ?? "", /OPENAI_API_KEY/);
});
