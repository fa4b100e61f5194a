/** What only the SQLite store does: a second reader while the run writes, and runs stored by older versions. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import BetterSqlite3 from "better-sqlite3";
import { openSqliteStore } from "../src/store/sqlite/index.ts";

async function fresh() {
  const dir = mkdtempSync(join(tmpdir(), "adrs-store-"));
  return { dir, store: await openSqliteStore(join(dir, "run.db")) };
}

/** A copy of test/fixtures/run-before-tags.db.gz: a run stored before strategies had tags (an `island` column). */
function oldRun(): string {
  const dir = mkdtempSync(join(tmpdir(), "adrs-old-run-"));
  const file = join(dir, "run.db");
  writeFileSync(
    file,
    gunzipSync(readFileSync(join(import.meta.dirname, "fixtures", "run-before-tags.db.gz"))),
  );
  return file;
}

test("readers and the writer do not block each other (WAL)", async () => {
  const { dir, store } = await fresh();
  const file = join(dir, "run.db");
  await store.append([
    { type: "run_started", taskId: "t", taskVersion: "1", config: { task: "t", seed: 3 }, seed: 3 },
  ]);

  // A writer holds a transaction open, with a row not yet committed: a second store reads the
  // committed state without waiting for it.
  const writer = new BetterSqlite3(file);
  writer.exec("begin immediate");
  writer.prepare("insert into events (at, type, data) values (0, 'uncommitted', '{}')").run();
  const reader = await openSqliteStore(file);
  assert.deepEqual(await reader.startConfig(), { task: "t", seed: 3 });
  assert.equal((await reader.summary()).taskId, "t");
  assert.equal((await reader.events()).length, 1);
  writer.exec("rollback");
  writer.close();

  // A reader holds its snapshot open (as `adrs status` does mid-query): the run's writes commit
  // at once, and the reader sees them only once its snapshot ends. Without WAL the commit would
  // wait for the reader, and fail when the busy timeout ran out.
  const snapshot = new BetterSqlite3(file, { readonly: true });
  const count = snapshot.prepare("select count(*) as n from events");
  snapshot.exec("begin");
  assert.deepEqual(count.get(), { n: 1 });
  await store.append([{ type: "run_stopped", reason: "iterations" }]);
  assert.deepEqual(count.get(), { n: 1 }, "the open snapshot does not change");
  snapshot.exec("commit");
  assert.deepEqual(count.get(), { n: 2 });
  snapshot.close();

  await reader.close();
  await store.close();
});

test("a run stored before tags opens as today's: islands become tags, migrations strategy events", async () => {
  const file = oldRun();
  const store = await openSqliteStore(file);
  const programs = await store.programs();
  // The fixture's programs lived on islands 0,1,1,0,1,0,0.
  assert.deepEqual(
    programs.map((p) => p.tag),
    ["0", "1", "1", "0", "1", "0", "0"],
  );
  assert.ok(
    programs.every((p) => !("island" in p)),
    "no island field is left",
  );
  const events = await store.events();
  assert.ok(!events.some((e) => (e.type as string) === "program_migrated"), "no old event type is left");
  const migrations = events.filter((e) => e.type === "strategy_event");
  assert.equal(migrations.length, 2);
  assert.deepEqual(migrations[0], {
    ...migrations[0],
    type: "strategy_event",
    strategy: "islands",
    kind: "program_migrated",
  });
  for (const e of events) {
    if (e.type === "candidate_proposed") assert.equal(typeof e.tag, "string", `${e.candidateId} has a tag`);
  }
  // Every candidate settled, in the order its evaluation was stored.
  const history = await store.history();
  const settled = history.flatMap((h) => ("settled" in h ? [h.settled] : []));
  assert.deepEqual(
    settled.map((s) => [s.candidate.id, s.status, s.candidate.tag]),
    programs.map((p) => [p.id, "ok", p.tag]),
  );
  // New rows keep their tags as text, whatever the old column's type.
  await store.append([
    {
      type: "candidate_proposed",
      candidateId: "c000007",
      iteration: 7,
      parentId: "c000000",
      tag: "front:3",
      code: "x",
      diff: "",
      prompt: "",
      model: "m",
      reply: "",
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      rng: [1, 2, 3, 4],
    },
  ]);
  assert.deepEqual(
    (await store.pendingCandidates()).map((c) => [c.id, c.tag]),
    [["c000007", "front:3"]],
  );
  await store.close();
  // Opening it again (already upgraded) changes nothing.
  const again = await openSqliteStore(file);
  assert.deepEqual(await again.programs(), programs);
  assert.equal((await again.history()).length, history.length);
  await again.close();
});
