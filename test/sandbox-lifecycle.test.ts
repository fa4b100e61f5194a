/**
 * Children die with the engine: killed by SIGKILL (nothing runs in the engine
 * then), ended by SIGINT, or leaving through process.exit with a job running.
 * Each sandbox child carries a `--label=…` on its command line, so the test can
 * look for survivors in /proc.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { ProtectionChoice } from "../src/sandbox/index.ts";

const parent = join(import.meta.dirname, "fixtures", "sandbox-parent.ts");

const node = realpathSync(process.execPath);

/** Sandbox children (node running the runner; not bubblewrap's own processes) whose command line contains `tag`. */
function childrenWith(tag: string): number[] {
  return processesWith(tag).filter((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      return argv[0] === node && argv.some((a) => a.endsWith("runner.mjs"));
    } catch {
      return false;
    }
  });
}

/** Pids of processes whose command line contains `tag`. */
function processesWith(tag: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      // Zombies have an empty command line; the tag is in the runner's arguments.
      if (cmdline.includes(tag)) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function gone(tag: string, waitMs: number): Promise<number[]> {
  const until = Date.now() + waitMs;
  let left = processesWith(tag);
  while (left.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    left = processesWith(tag);
  }
  return left;
}

async function startParent(protection: ProtectionChoice, label: string, mode: "kill" | "exit") {
  const child = spawn(process.execPath, ["--import", "tsx", parent, protection, label, mode], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (b: Buffer) => {
    err += b.toString();
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("running")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`the parent exited early (code ${code}): ${err.trim()}`)));
  });
  return { child, exited };
}

// bubblewrap is required: where it does not work, its cases fail (the parent cannot start its sandbox).
const kinds: ProtectionChoice[] = ["bwrap", "permission"];

describe("sandbox children die with the engine", () => {
  for (const protection of kinds) {
    for (const [how, signal] of [
      ["SIGKILL", "SIGKILL"],
      ["SIGINT", "SIGINT"],
      ["process.exit", undefined],
    ] as const) {
      test(`${protection}: the engine ends by ${how}`, async (t) => {
        const label = `adrs-test-${protection}-${how.replace(".", "")}-${process.pid}`;
        const { child, exited } = await startParent(protection, label, signal ? "kill" : "exit");
        // A failed check below must not leave the parent (and its children) behind.
        t.after(() => child.kill("SIGKILL"));
        assert.equal(childrenWith(label).length, 2, "the running job's child and the waiting one are up");
        if (signal) child.kill(signal);
        else child.stdin.write("exit\n");
        await exited;
        assert.deepEqual(await gone(label, 10_000), [], "no child outlives the engine");
      });
    }
  }

  test("a sandbox nobody closes does not keep the engine's process alive", async () => {
    const label = `adrs-test-forget-${process.pid}`;
    const child = spawn(process.execPath, ["--import", "tsx", parent, "auto", label, "forget"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    assert.equal(code, 0);
    assert.match(out, /done ok/);
    assert.deepEqual(await gone(label, 10_000), []);
  });
});
