import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { candidateId } from "../src/core/ids.ts";
import type { ProgramPayload, RunEntry, RunPayload, StrategyDescription } from "../src/server/payloads.ts";
import { fromRows } from "../src/server/rows.ts";
import { type DashboardServer, serveDashboard } from "../src/server/serve.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";
import type { Store } from "../src/store/store.ts";
import { openStream, rawGet } from "./support/dashboard.ts";
import { tempDir } from "./support/run-helpers.ts";
import { oneCandidate, writeSyntheticRun } from "./support/synthetic-run.ts";

/** A stand-in for the built page: the API tests need no Vite build. */
function pageDir(): string {
  const dir = tempDir("web");
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>adrs</title>");
  writeFileSync(join(dir, "assets", "app-123.js"), "console.log('page');");
  return dir;
}

async function storeAt(dir: string): Promise<Store> {
  mkdirSync(dir, { recursive: true });
  return openSqliteStore(join(dir, "run.db"));
}

const round = (x: number) => Math.round(x * 1e9) / 1e9;
const hashOf = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("the dashboard's API over stopped runs", () => {
  let root: string;
  let outside: string;
  let server: DashboardServer;
  let written: Awaited<ReturnType<typeof writeSyntheticRun>>;

  before(async () => {
    root = tempDir("serve");
    outside = tempDir("outside");
    const a = await storeAt(join(root, "a"));
    written = await writeSyntheticRun(a, { candidates: 40 });
    await a.close();
    const b = await storeAt(join(root, "group", "b"));
    await writeSyntheticRun(b, { candidates: 5, seed: 2 });
    await b.close();
    // A run outside the served folder, reachable only through a link inside it: never listed.
    const hidden = await storeAt(join(outside, "secret"));
    await writeSyntheticRun(hidden, { candidates: 2 });
    await hidden.close();
    symlinkSync(join(outside, "secret"), join(root, "link-out"));
    server = await serveDashboard({ folders: [root], port: 0, webDir: pageDir() });
  });
  after(async () => {
    await server.close();
  });

  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${server.origin}${path}`);
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    return (await res.json()) as T;
  };

  test("lists the runs under the folder, nested ones included, and none outside it", async () => {
    const { runs } = await get<{ runs: RunEntry[] }>("/api/runs");
    assert.deepEqual(runs.map((r) => r.name).sort(), ["a", "group/b"]);
    const a = runs.find((r) => r.name === "a")!;
    assert.equal(a.task, "txn-scheduling");
    assert.equal(a.strategy, "islands");
    assert.equal(a.state, "stopped");
    assert.equal(a.stopReason, "iterations");
    assert.equal(a.iterations, 40);
    assert.equal(a.evaluations, 41 - written.rejected);
    assert.equal(a.programs, written.programs);
    assert.equal(a.best?.id, written.bestId);
    assert.equal(typeof a.best?.testScore, "number");
    assert.ok(Math.abs(a.costUsd - written.costUsd) < 1e-9, `${a.costUsd} vs ${written.costUsd}`);
    assert.doesNotMatch(a.id, /[/\\.]/, "a run id is not a path");
  });

  test("a run's payload has every candidate, the ledger, and deltas hold only what changed", async () => {
    const { runs } = await get<{ runs: RunEntry[] }>("/api/runs");
    const id = runs.find((r) => r.name === "a")!.id;
    const run = await get<RunPayload>(`/api/runs/${id}`);
    const candidates = fromRows(run.candidates);
    assert.equal(candidates.length, 41);
    assert.equal(fromRows(run.calls).length, 40);
    assert.equal(run.steering.available, false, "a stopped run offers no steering");
    const failed = candidates.filter((c) => c.state === "evaluated" && c.status !== "ok");
    assert.equal(failed.length, written.failed);
    assert.ok(failed.every((c) => c.reason?.includes("missing transaction")));
    assert.equal(candidates.filter((c) => c.state === "rejected").length, written.rejected);
    // Listed from the store's summary before anyone opened it, from the folded events after: the same line.
    const listed = runs.find((r) => r.name === "a")!;
    const { activeSeconds: _a, evaluationsPerHour: _e, ...fromSummary } = listed;
    const { activeSeconds: _b, evaluationsPerHour: _f, ...fromEvents } = run.run;
    assert.deepEqual(
      { ...fromEvents, costUsd: round(fromEvents.costUsd) },
      { ...fromSummary, costUsd: round(fromSummary.costUsd) },
    );
    const delta = await get<RunPayload>(`/api/runs/${id}?since=${run.seq}`);
    assert.equal(delta.candidates.values.length, 0);
    assert.equal(delta.calls.values.length, 0);
    assert.equal(delta.callsFrom, 40);
  });

  test("a program's page has its code, diff, evaluation per workload, and the model call that made it", async () => {
    const { runs } = await get<{ runs: RunEntry[] }>("/api/runs");
    const id = runs.find((r) => r.name === "a")!.id;
    const p = await get<ProgramPayload>(`/api/runs/${id}/programs/${written.bestId}`);
    assert.match(p.code ?? "", /EVOLVE-BLOCK-START/);
    assert.match(p.diff, /^--- a\/program\.ts/m);
    assert.match(p.diff, /^\+const SAMPLE_SIZE/m);
    assert.equal(p.evaluation?.workloads.length, 3);
    assert.equal(typeof p.test?.score, "number");
    assert.equal(p.calls.length, 1);
    assert.equal(p.calls[0]!.role, "mutation");
    assert.match(p.calls[0]!.messages.at(-1)!.content, /# Current program/);
    assert.ok(p.calls[0]!.usage.costUsd > 0);
    const seed = await get<ProgramPayload>(`/api/runs/${id}/programs/${candidateId(0)}`);
    assert.equal(seed.candidate.parentId, null);
    assert.ok(seed.children.length > 0);
  });

  test("the strategy's picture is rebuilt from the stored programs", async () => {
    const { runs } = await get<{ runs: RunEntry[] }>("/api/runs");
    const id = runs.find((r) => r.name === "a")!.id;
    const picture = await get<StrategyDescription>(`/api/runs/${id}/strategy`);
    assert.equal(picture.error, null);
    const d = picture.description as { size: number; islands: { cells: unknown[] }[] };
    assert.equal(d.size, written.programs);
    assert.equal(d.islands.length, 3);
    assert.ok(d.islands.some((island) => island.cells.length > 0));
  });

  test("no request reaches a file outside the served folder or the built page", async () => {
    const { runs } = await get<{ runs: RunEntry[] }>("/api/runs");
    const id = runs.find((r) => r.name === "a")!.id;
    const attempts = [
      "/../../package.json",
      "/assets/../../package.json",
      "/assets/..%2F..%2Fpackage.json",
      "/%2e%2e/%2e%2e/package.json",
      `/api/runs/..%2F..%2F${encodeURIComponent(outside)}`,
      `/api/runs/${id}/programs/..%2Frun.db`,
      `/api/runs/${encodeURIComponent(join(outside, "secret"))}`,
      "/run.db",
      "/a/run.db",
    ];
    for (const path of attempts) {
      const res = await rawGet(server.origin, path);
      assert.equal(res.status, 404, `${path} → ${res.status}`);
      assert.doesNotMatch(res.body, /"name": "adrs"|SQLite format/, path);
    }
    assert.equal((await rawGet(server.origin, "/assets/app-123.js")).status, 200);
  });

  test("GET changes nothing: the database file is byte for byte the same after every page was read", async () => {
    const file = join(root, "a", "run.db");
    const before = hashOf(file);
    const { runs } = await get<{ runs: RunEntry[] }>("/api/runs");
    const id = runs.find((r) => r.name === "a")!.id;
    await get(`/api/runs/${id}`);
    await get(`/api/runs/${id}/strategy`);
    await get(`/api/runs/${id}/programs/${written.bestId}`);
    const stream = await openStream(`${server.origin}/api/runs/${id}/stream`);
    await stream.next((m) => m.event === "delta");
    stream.close();
    await server.dashboard.refresh();
    assert.equal(hashOf(file), before);
    const store = await openSqliteStore(file, { readonly: true });
    await assert.rejects(
      store.append([{ type: "run_resumed", pending: 0 }]),
      /readonly/,
      "the server's connection cannot write",
    );
    await store.close();
  });
});

describe("access", () => {
  let root: string;
  before(async () => {
    root = tempDir("serve-access");
    const s = await storeAt(join(root, "r"));
    await writeSyntheticRun(s, { candidates: 2 });
    await s.close();
  });

  test("on loopback a request must name a loopback host (no DNS rebinding)", async () => {
    const server = await serveDashboard({ folders: [root], port: 0, webDir: pageDir() });
    try {
      assert.equal(server.token, null);
      assert.equal((await rawGet(server.origin, "/api/runs")).status, 200);
      const rebound = await rawGet(server.origin, "/api/runs", { host: "attacker.example:8377" });
      assert.equal(rebound.status, 403);
      assert.doesNotMatch(rebound.body, /txn-scheduling/);
    } finally {
      await server.close();
    }
  });

  test("beyond loopback a token is made, printed in the address, and required on every request", async () => {
    const server = await serveDashboard({ folders: [root], host: "0.0.0.0", port: 0, webDir: pageDir() });
    try {
      assert.ok(server.token && server.token.length >= 20);
      assert.ok(server.url.endsWith(`?token=${server.token}`));
      const port = new URL(server.origin).port;
      const local = `http://127.0.0.1:${port}`;
      for (const path of ["/api/runs", "/", "/api/stream", "/assets/app-123.js"]) {
        const res = await rawGet(local, path);
        assert.equal(res.status, 401, path);
        assert.doesNotMatch(res.body, /txn-scheduling|doctype/);
      }
      assert.equal((await rawGet(local, "/api/runs", { authorization: "Bearer wrong" })).status, 401);
      const bearer = await rawGet(local, "/api/runs", { authorization: `Bearer ${server.token}` });
      assert.equal(bearer.status, 200);
      // Opening the printed address sets a cookie, which the page's own requests then carry.
      const opened = await rawGet(local, `/?token=${server.token}`);
      assert.equal(opened.status, 200);
      const cookie = String(opened.headers["set-cookie"]).split(";")[0]!;
      assert.match(String(opened.headers["set-cookie"]), /HttpOnly/i);
      assert.equal((await rawGet(local, "/api/runs", { cookie })).status, 200);
      assert.equal((await rawGet(local, "/api/runs", { cookie: "adrs_token=nope" })).status, 401);
    } finally {
      await server.close();
    }
  });

  test("adrs serve prints the address with its token, answers it, and stops on SIGINT", async () => {
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, "..", "bin", "adrs.js"), "serve", root, "--port", "0", "--host", "0.0.0.0"],
      {
        env: { ...process.env, ADRS_SERVE_TOKEN: "a-token-from-the-environment" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let out = "";
    child.stdout.setEncoding("utf8");
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: string) => {
        out += chunk;
        if (out.includes("\n")) resolve(out.split("\n")[0]!);
      });
      void exited.then((code) => reject(new Error(`adrs serve exited ${code} before printing its address`)));
    });
    const url = new URL(/^adrs dashboard: (\S+)$/.exec(line)?.[1] ?? "");
    assert.equal(url.searchParams.get("token"), "a-token-from-the-environment");
    const local = `http://127.0.0.1:${url.port}`;
    assert.equal((await rawGet(local, "/api/runs")).status, 401);
    const runs = await rawGet(local, "/api/runs", { authorization: "Bearer a-token-from-the-environment" });
    assert.equal(runs.status, 200);
    assert.match(runs.body, /txn-scheduling/);
    child.kill("SIGINT");
    assert.equal(await exited, 0);
  });

  test("adrs serve names a folder that does not exist and exits 2", () => {
    const missing = join(root, "no-such-folder");
    const r = spawnSync(
      process.execPath,
      [join(import.meta.dirname, "..", "bin", "adrs.js"), "serve", missing],
      {
        encoding: "utf8",
      },
    );
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`${missing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: no such folder`));
  });
});

describe("a live run", () => {
  test("a stored candidate reaches an open event stream; a run started later joins the list, and leaves it when deleted", async () => {
    const root = tempDir("serve-live");
    const dir = join(root, "live");
    const store = await storeAt(dir);
    // The lock names a live process (this one), as a running engine's would.
    writeFileSync(join(dir, "run.lock"), String(process.pid));
    await writeSyntheticRun(store, { candidates: 3, stop: false });
    const server = await serveDashboard({ folders: [root], port: 0, webDir: pageDir(), pollMs: 20 });
    try {
      const [entry] = server.dashboard.list();
      assert.equal(entry?.state, "running");
      const first = (await (await fetch(`${server.origin}/api/runs/${entry.id}`)).json()) as RunPayload;
      assert.equal(first.steering.available, true);
      const stream = await openStream(`${server.origin}/api/runs/${entry.id}/stream?since=${first.seq}`);
      const list = await openStream(`${server.origin}/api/stream`);
      await list.next((m) => m.event === "runs");

      const id = candidateId(4);
      await store.append(oneCandidate(4));
      const rowsOf = (m: { data: unknown }) => fromRows((m.data as RunPayload).candidates);
      const delta = rowsOf(await stream.next((m) => rowsOf(m).some((c) => c.id === id)));
      assert.equal(delta.find((c) => c.id === id)!.status, "timeout");
      assert.ok(delta.length <= 2, "a delta carries only what changed");

      const other = await storeAt(join(root, "later"));
      await writeSyntheticRun(other, { candidates: 1 });
      await other.close();
      await list.next((m) => (m.data as { runs: RunEntry[] }).runs.some((r) => r.name === "later"));
      rmSync(join(root, "later"), { recursive: true });
      await list.next((m) => !(m.data as { runs: RunEntry[] }).runs.some((r) => r.name === "later"));

      // The run stops: the page hears it, and steering is no longer offered.
      await store.append([{ type: "run_stopped", reason: "interrupted" }]);
      const stopped = await stream.next((m) => (m.data as RunPayload).run.state === "stopped");
      assert.equal((stopped.data as RunPayload).steering.available, false);
      stream.close();
      list.close();
    } finally {
      await server.close();
      await store.close();
    }
  });
});

describe("steering", () => {
  let root: string;
  let dir: string;
  let store: Store;
  let server: DashboardServer;
  let id: string;
  let written: Awaited<ReturnType<typeof writeSyntheticRun>>;

  before(async () => {
    root = tempDir("serve-steer");
    dir = join(root, "live");
    store = await storeAt(dir);
    writeFileSync(join(dir, "run.lock"), String(process.pid));
    written = await writeSyntheticRun(store, { candidates: 6, stop: false });
    const stopped = await storeAt(join(root, "stopped"));
    await writeSyntheticRun(stopped, { candidates: 2 });
    await stopped.close();
    server = await serveDashboard({ folders: [root], port: 0, webDir: pageDir() });
    id = server.dashboard.list().find((r) => r.name === "live")!.id;
  });
  after(async () => {
    await server.close();
    await store.close();
  });

  const post = (runId: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.origin}/api/runs/${runId}/steer`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const steering = async () =>
    (await store.events()).filter((e) =>
      ["run_paused", "run_continued", "hint_added", "hint_withdrawn", "program_vetoed"].includes(e.type),
    );

  test("each action of a live run is one event in its store, seen by the page", async () => {
    const stream = await openStream(`${server.origin}/api/runs/${id}/stream`);
    assert.equal((await post(id, { action: "hint", text: "  Try a larger sample.  " })).status, 200);
    const withHint = await stream.next((m) => (m.data as RunPayload).steering.hints.length === 1);
    const hint = (withHint.data as RunPayload).steering.hints[0]!;
    assert.equal(hint.text, "Try a larger sample.");
    assert.equal((await post(id, { action: "pause" })).status, 200);
    assert.equal((await post(id, { action: "pause" })).status, 200, "pausing a paused run is no new event");
    await stream.next((m) => (m.data as RunPayload).steering.paused);
    assert.equal((await post(id, { action: "continue" })).status, 200);
    assert.equal((await post(id, { action: "withdraw", hintId: hint.id })).status, 200);
    assert.equal((await post(id, { action: "veto", programId: written.bestId })).status, 200);
    const vetoed = await stream.next((m) =>
      fromRows((m.data as RunPayload).candidates).some((c) => c.id === written.bestId && c.vetoed),
    );
    assert.equal((vetoed.data as RunPayload).steering.hints[0]!.withdrawnAt !== null, true);
    stream.close();
    assert.deepEqual(
      (await steering()).map((e) => e.type),
      ["hint_added", "run_paused", "run_continued", "hint_withdrawn", "program_vetoed"],
    );
  });

  test("bad, foreign or impossible requests are refused and write nothing", async () => {
    const before = (await steering()).length;
    const stoppedId = server.dashboard.list().find((r) => r.name === "stopped")!.id;
    const stoppedFile = join(root, "stopped", "run.db");
    const hash = hashOf(stoppedFile);
    const refused = await post(stoppedId, { action: "hint", text: "x" });
    assert.equal(refused.status, 409);
    assert.match(((await refused.json()) as { error: string }).error, /stopped: steering is offered only/);
    assert.equal(hashOf(stoppedFile), hash);
    assert.equal((await post(id, { action: "veto", programId: "c999999" })).status, 409);
    const failed = (await (await fetch(`${server.origin}/api/runs/${id}`)).json()) as RunPayload;
    const failedChild = fromRows(failed.candidates).find(
      (c) => c.state !== "evaluated" || c.status !== "ok",
    )!;
    assert.equal((await post(id, { action: "veto", programId: failedChild.id })).status, 409);
    assert.equal((await post(id, { action: "hint", text: "   " })).status, 400);
    assert.equal((await post(id, { action: "explode" })).status, 400);
    assert.equal((await post(id, "not json")).status, 400);
    assert.equal((await post(id, { action: "pause" }, { "content-type": "text/plain" })).status, 415);
    assert.equal((await post(id, { action: "pause" }, { origin: "http://attacker.example" })).status, 403);
    assert.equal((await steering()).length, before);
  });
});
