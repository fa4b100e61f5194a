/**
 * What an external evaluator's command (and so the candidate it runs) can
 * reach: under bubblewrap no network, no files but the system, the task folder
 * and the job folder (all read-only), and a private /tmp; in every mode, none
 * of the engine's environment and kernel limits on CPU time and memory.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { type CommandJob, ProcessSandbox } from "../src/sandbox/index.ts";
import { assertBwrap } from "./support/bwrap.ts";

const sandbox = new ProcessSandbox({ concurrency: 2, log: () => undefined });
const taskDir = join(import.meta.dirname, "fixtures", "external", "echo-evaluator");
/** The held-out data beside the repository (it may not exist on this machine: then it is not there either). */
const dataDir = resolve(import.meta.dirname, "..", "..", "shared", "data");
let secretDir: string;

before(async () => {
  secretDir = mkdtempSync(join(tmpdir(), "adrs-secret-"));
  writeFileSync(join(secretDir, "held-out.json"), '{"answer": 42}');
});
after(async () => {
  await sandbox.close();
  rmSync(secretDir, { recursive: true, force: true });
});

/** Runs a Python snippet as the command; its stdout comes back. */
function python(code: string, extra: Partial<CommandJob> = {}) {
  return sandbox.runCommand({
    argv: ["python3", "{candidate}"],
    cwd: taskDir,
    files: { candidate: { name: "probe.py", content: code } },
    timeoutMs: 20_000,
    memoryMb: 256,
    ...extra,
  });
}

describe("external commands", () => {
  test("see none of the engine's environment", async () => {
    process.env.ADRS_TEST_SECRET = "do-not-leak";
    try {
      const r = await python("import os, json; print(json.dumps(sorted(os.environ)))");
      assert.equal(r.status, "ok", r.error);
      const keys = JSON.parse(r.stdout) as string[];
      assert.ok(!keys.includes("ADRS_TEST_SECRET"));
      assert.ok(
        keys.every((k) =>
          ["PATH", "HOME", "TMPDIR", "LANG", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PWD"].includes(
            k,
          ),
        ),
        keys.join(),
      );
    } finally {
      delete process.env.ADRS_TEST_SECRET;
    }
  });

  test("get their files and placeholders; the working directory is the task folder", async () => {
    const r = await sandbox.runCommand({
      argv: ["python3", "{candidate}", "{split}", "{data}"],
      cwd: taskDir,
      files: {
        candidate: {
          name: "probe.py",
          content: "import os, sys; print(os.getcwd()); print(sys.argv[1]); print(open(sys.argv[2]).read())",
        },
        data: { name: "data.txt", content: "hello" },
      },
      vars: { split: "train" },
      timeoutMs: 20_000,
      memoryMb: 256,
    });
    assert.equal(r.status, "ok", r.error);
    assert.deepEqual(r.stdout.trim().split("\n"), [taskDir, "train", "hello"]);
  });

  test("run under a CPU-time limit of their own", async () => {
    const r = await python("while True: pass", { timeoutMs: 20_000, cpuMs: 1000 });
    assert.equal(r.status, "timeout");
    assert.equal(r.error, "CPU time limit of 1000 ms exceeded");
  });

  test("run under an address-space limit", async () => {
    const r = await python("x = bytearray(1 << 30)");
    assert.equal(r.status, "crash");
    assert.equal(r.error, "memory limit of 256 MB exceeded");
  });

  test("under bubblewrap: files outside the task, the job folder and the system are not there", async () => {
    await assertBwrap(sandbox);
    const secret = join(secretDir, "held-out.json");
    const r = await python(
      `import os\nfor p in [${JSON.stringify(secret)}, ${JSON.stringify(secretDir)}, ${JSON.stringify(dataDir)}, "/home", "/etc/passwd"]:\n    print(p, os.path.exists(p))`,
    );
    assert.equal(r.status, "ok", r.error);
    for (const line of r.stdout.trim().split("\n")) assert.match(line, / False$/);
  });

  test("under bubblewrap: the task folder is read-only and /tmp is private", async () => {
    await assertBwrap(sandbox);
    const marker = `adrs-private-${process.pid}`;
    const r = await python(
      `import os\ntry:\n    open("new-file.txt", "w")\n    print("wrote")\nexcept OSError as e:\n    print(type(e).__name__, e.errno)\nopen("/tmp/${marker}", "w").write("x")\nprint(os.listdir("/tmp"))`,
    );
    assert.equal(r.status, "ok", r.error);
    assert.match(r.stdout, /^OSError 30\n/, "EROFS");
    assert.match(r.stdout, new RegExp(marker));
    assert.throws(() => readTmp(marker));
  });

  test("under bubblewrap: no network, not even loopback", async () => {
    await assertBwrap(sandbox);
    const r = await python(
      `import socket\nfor host in [("1.1.1.1", 80), ("127.0.0.1", 9)]:\n    try:\n        socket.create_connection(host, timeout=2)\n        print("connected")\n    except OSError as e:\n        print(type(e).__name__)`,
    );
    assert.equal(r.status, "ok", r.error);
    assert.doesNotMatch(r.stdout, /connected/);
  });
});

function readTmp(name: string): void {
  writeFileSync(join(tmpdir(), name), "", { flag: "r+" });
}
