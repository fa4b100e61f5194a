/**
 * A full disk, for real: the run writes into a 200 KB tmpfs (mounted in a
 * mount namespace of its own by unshare, so no privilege is needed), fills it,
 * says so naming the file, and leaves a folder that resumes once it has room.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { resumeRun } from "../src/engine/session.ts";
import { tempDir, withStore } from "./support/run-helpers.ts";

const cli = join(import.meta.dirname, "..", "bin", "adrs.js");

/** Runs `script` under sh in a new user and mount namespace; its output and exit code. */
function inNamespace(script: string): Promise<{ code: number | null; out: string }> {
  const child = spawn("unshare", ["--user", "--map-root-user", "--mount", "sh", "-c", script], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

test("a disk that fills mid-run: 'disk full while writing <file>', exit 1, and the folder resumes on a roomy disk", async () => {
  const base = tempDir("disk-full");
  const small = join(base, "small");
  const copy = join(base, "copy");
  const run = join(small, "run");
  const { code, out } = await inNamespace(
    [
      `mkdir -p '${small}'`,
      `mount -t tmpfs -o size=200k tmpfs '${small}'`,
      `'${process.execPath}' '${cli}' run txn-scheduling --iterations 12 --out '${run}'`,
      "status=$?",
      // The tmpfs goes with the namespace: what the run left is copied out, as a user would to a bigger disk.
      `cp -a '${run}' '${copy}'`,
      "exit $status",
    ].join("\n"),
  );
  assert.equal(code, 1, out);
  assert.match(
    out,
    new RegExp(`disk full while writing ${run}/run\\.db; free some space, then continue with: adrs resume`),
  );
  assert.doesNotMatch(out, /cannot rollback|no transaction is active/);

  const session = await resumeRun(copy);
  assert.equal((await session.run()).reason, "iterations");
  await withStore(copy, async (store) => {
    const summary = await store.summary();
    assert.equal(summary.iterations, 12);
    assert.deepEqual(await store.pendingCandidates(), []);
  });
  const db = new BetterSqlite3(join(copy, "run.db"), { readonly: true });
  assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
  db.close();
});
