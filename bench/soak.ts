/**
 * `npm run soak`: a tuner run of txn-scheduling killed with SIGKILL at random
 * moments and resumed each time, then checked: no candidate lost or stored
 * twice, no gap in the iterations, `PRAGMA integrity_check` ok, no sandbox
 * process left behind by a killed session, spend within the budget.
 * `npm run soak -- --iterations 60 --kills 20 --seed 7`; test/soak.test.ts
 * runs a short form. Exits 1 when an invariant fails.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { Rng } from "../src/core/rng.ts";
import { openSqliteStore } from "../src/store/sqlite/index.ts";

const cli = join(import.meta.dirname, "..", "bin", "adrs.js");

export interface SoakOptions {
  iterations: number;
  /** Kills attempted; fewer happen when the run finishes first. */
  kills: number;
  seed?: number;
  /** The dollar budget the run is given (the tuner spends nothing, so it must stay at $0). */
  budgetUsd?: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  dir: string;
  iterations: number;
  kills: number;
  sessions: number;
  candidates: number;
  evaluations: number;
  /** Invariants that failed, each as a sentence; empty when the soak passed. */
  failures: string[];
  spentUsd: number;
  seconds: number;
}

function adrs(args: string[]): ChildProcess {
  return spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "ignore", "pipe"] });
}

/** Evaluations stored so far (0 while the database is not there yet or holds no run). */
async function evaluationsStored(dir: string): Promise<number> {
  if (!existsSync(join(dir, "run.db"))) return 0;
  try {
    const store = await openSqliteStore(join(dir, "run.db"), { readonly: true });
    try {
      return (await store.summary()).evaluations;
    } finally {
      await store.close();
    }
  } catch {
    return 0;
  }
}

/** The pids whose parent is `pid` (its sandbox children). */
function childrenOf(pid: number): number[] {
  const kids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) kids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return kids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function soak(options: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const rng = new Rng(options.seed ?? 1);
  const log = options.log ?? (() => {});
  const budgetUsd = options.budgetUsd ?? 1;
  const dir = join(mkdtempSync(join(tmpdir(), "adrs-soak-")), "run");
  const failures: string[] = [];
  let args = [
    "run",
    "txn-scheduling",
    "--iterations",
    String(options.iterations),
    "--budget-usd",
    String(budgetUsd),
    "--out",
    dir,
  ];
  let kills = 0;
  let sessions = 0;
  const orphans: number[] = [];
  for (let k = 0; k < options.kills; k++) {
    const child = adrs(args);
    sessions++;
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr += d));
    const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    let exited = false;
    void exit.then(() => (exited = true));
    // A random moment: after one to three more evaluations are stored, and up to half a second on.
    const target = (await evaluationsStored(dir)) + 1 + rng.int(3);
    while (!exited && (await evaluationsStored(dir)) < target) await sleep(25);
    if (!exited) await sleep(rng.int(500));
    if (exited) {
      const code = await exit;
      if (code !== 0)
        failures.push(`session ${sessions} exited ${code}: ${stderr.trim().split("\n").at(-1)}`);
      break;
    }
    const kids = childrenOf(child.pid as number);
    child.kill("SIGKILL");
    await exit;
    kills++;
    // A sandbox child notices its parent is gone and ends; wait a little for that, then count survivors.
    for (let i = 0; i < 100 && kids.some(alive); i++) await sleep(50);
    orphans.push(...kids.filter(alive));
    log(`kill ${kills}: after ${target} evaluations (${kids.length} sandbox children)`);
    args = ["resume", dir];
  }
  if (!failures.length) {
    const last = adrs(["resume", dir]);
    sessions++;
    let stderr = "";
    last.stderr?.on("data", (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => last.on("close", (c) => resolve(c)));
    if (code !== 0) failures.push(`the last resume exited ${code}: ${stderr.trim().split("\n").at(-1)}`);
  }
  if (orphans.length) failures.push(`${orphans.length} sandbox processes outlived their killed session`);

  const store = await openSqliteStore(join(dir, "run.db"), { readonly: true });
  let candidates = 0;
  let evaluations = 0;
  let spentUsd = 0;
  try {
    const events = await store.events(0, Number.MAX_SAFE_INTEGER);
    const proposed = events.flatMap((e) => (e.type === "candidate_proposed" ? [e] : []));
    const evaluated = events.flatMap((e) => (e.type === "evaluation_finished" ? [e.candidateId] : []));
    const ids = proposed.map((e) => e.candidateId);
    candidates = ids.length;
    evaluations = evaluated.length;
    if (new Set(ids).size !== ids.length) failures.push("a candidate was proposed twice");
    if (new Set(evaluated).size !== evaluated.length) failures.push("a candidate was evaluated twice");
    const lost = proposed.filter((e) => e.code !== null && !evaluated.includes(e.candidateId));
    if (lost.length) failures.push(`${lost.length} proposed candidates were never evaluated`);
    const iterations = new Set(proposed.map((e) => e.iteration));
    const gaps = Array.from({ length: options.iterations + 1 }, (_, i) => i).filter(
      (i) => !iterations.has(i),
    );
    if (gaps.length) failures.push(`iterations missing: ${gaps.join(", ")}`);
    const summary = await store.summary();
    if (summary.state !== "stopped" || summary.stopReason !== "iterations") {
      failures.push(`the run ended ${summary.state} (${summary.stopReason}), not stopped by its iterations`);
    }
    spentUsd = summary.costUsd;
    if (spentUsd > budgetUsd) failures.push(`spent $${spentUsd} of a $${budgetUsd} budget`);
  } finally {
    await store.close();
  }
  const db = new BetterSqlite3(join(dir, "run.db"), { readonly: true });
  const integrity = db.pragma("integrity_check", { simple: true });
  db.close();
  if (integrity !== "ok") failures.push(`integrity_check: ${integrity}`);
  return {
    dir,
    iterations: options.iterations,
    kills,
    sessions,
    candidates,
    evaluations,
    failures,
    spentUsd,
    seconds: (Date.now() - started) / 1000,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const flag = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const report = await soak({
    iterations: flag("iterations", 60),
    kills: flag("kills", 20),
    seed: flag("seed", 1),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.failures.length ? 1 : 0;
}
