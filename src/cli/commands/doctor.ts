import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statfsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import type { DataSetCheck } from "../../../tasks/_shared/data.ts";
import { Evaluator } from "../../evaluate/index.ts";
import { KEY_VARIABLES } from "../../llm/index.ts";
import { ProcessSandbox } from "../../sandbox/index.ts";
import { loadTask, TASKS_DIR } from "../../task/load.ts";
import { currentBuild, importTaskModule } from "../../task/modules.ts";
import { EXIT } from "../exit.ts";

type Status = "ok" | "warning" | "error";

export interface Check {
  name: string;
  status: Status;
  detail: string;
  /** What to do about a warning or an error. */
  fix?: string;
}

const REPOSITORY = resolve(TASKS_DIR, "..");
const GB = 1024 ** 3;
const require = createRequire(import.meta.url);

/**
 * `adrs doctor [--json]`: whether this machine can run adrs, one line per
 * check (ok, warning or error, with the fix). Exits 1 when a check is an error.
 */
export async function doctorCommand(options: { json?: boolean }): Promise<void> {
  const checks: Check[] = [
    nodeVersion(),
    build(),
    sqlite(),
    isolatedVm(),
    ...(await sandboxAndEvaluation()),
    ...(await dataSets()),
    freeDisk(resolve("runs")),
    modelKeys(process.env),
  ];
  const ok = checks.every((c) => c.status !== "error");
  if (!ok) process.exitCode = EXIT.failed;
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ok, checks }, null, 2)}\n`);
    return;
  }
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.map((c) => {
    const head = `${c.status.padEnd(7)}  ${c.name.padEnd(width)}  ${c.detail}`;
    return c.fix ? `${head}\n${" ".repeat(9 + width + 2)}fix: ${c.fix}` : head;
  });
  process.stdout.write(`${lines.join("\n")}\n`);
}

function nodeVersion(): Check {
  const pkg = JSON.parse(readFileSync(join(REPOSITORY, "package.json"), "utf8")) as {
    engines?: { node?: string };
  };
  const wanted = /(\d+)\.(\d+)/.exec(pkg.engines?.node ?? "") ?? ["", "20", "19"];
  const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
  const [needMajor, needMinor] = [Number(wanted[1]), Number(wanted[2])];
  const ok = major > needMajor || (major === needMajor && minor >= needMinor);
  return {
    name: "node",
    status: ok ? "ok" : "error",
    detail: `${process.version} (needs ${needMajor}.${needMinor} or later)`,
    ...(ok
      ? {}
      : { fix: `install Node ${needMajor}.${needMinor}+ (nodejs.org, or your distribution's package)` }),
  };
}

function build(): Check {
  const dir = currentBuild();
  return {
    name: "cli build",
    status: "ok",
    detail: dir
      ? `${relative(REPOSITORY, dir)}, made from the current sources (rebuilt by the next command after any change)`
      : "running from the TypeScript sources",
  };
}

function sqlite(): Check {
  try {
    const Database = require("better-sqlite3") as typeof import("better-sqlite3");
    const db = new Database(":memory:");
    const { version } = db.prepare("select sqlite_version() as version").get() as { version: string };
    db.close();
    return { name: "better-sqlite3", status: "ok", detail: `loads; SQLite ${version}` };
  } catch (e) {
    return {
      name: "better-sqlite3",
      status: "error",
      detail: `does not load: ${firstLine(e)}`,
      fix: "run `npm ci` again with a C++ toolchain (make, g++, python3) so the addon builds for this Node",
    };
  }
}

/** isolated-vm needs a process started without Node's snapshot, as the sandbox starts its children. */
function isolatedVm(): Check {
  const fix =
    "run `npm ci` again with a C++ toolchain (make, g++, python3) so the addon builds for this Node";
  let entry: string;
  try {
    entry = require.resolve("isolated-vm");
  } catch (e) {
    return { name: "isolated-vm", status: "error", detail: `not installed: ${firstLine(e)}`, fix };
  }
  const script = `const ivm = require(${JSON.stringify(entry)}); const i = new ivm.Isolate({ memoryLimit: 16 });
    process.stdout.write(String(i.compileScriptSync("6 * 7").runSync(i.createContextSync())));`;
  const r = spawnSync(process.execPath, ["--no-node-snapshot", "-e", script], { encoding: "utf8" });
  if (r.status === 0 && r.stdout === "42")
    return { name: "isolated-vm", status: "ok", detail: "loads; an isolate runs" };
  return {
    name: "isolated-vm",
    status: "error",
    detail: `does not run: ${firstLine(r.stderr || r.error || `exit ${r.status}`)}`,
    fix,
  };
}

/** The protection in force, and a tiny end-to-end evaluation: the seed of txn-scheduling on its train split. */
async function sandboxAndEvaluation(): Promise<Check[]> {
  const sandbox = new ProcessSandbox({ concurrency: 1, log: () => undefined });
  const checks: Check[] = [];
  try {
    const protection = await sandbox.ready();
    checks.push(
      protection.kind === "bwrap"
        ? { name: "sandbox", status: "ok", detail: protection.summary }
        : {
            name: "sandbox",
            status: "warning",
            detail: `${protection.summary}. Without bubblewrap a candidate is not kept off the network, and an external evaluator's program has kernel limits only`,
            fix: "install bubblewrap (apt-get install bubblewrap) on a kernel that allows unprivileged user namespaces",
          },
    );
    const task = await loadTask("txn-scheduling");
    const evaluation = await new Evaluator(task, sandbox, { cacheSize: 0 }).evaluate(
      task.initialCode,
      "train",
    );
    checks.push(
      evaluation.status === "ok" && evaluation.score > 0
        ? {
            name: "evaluation",
            status: "ok",
            detail: `txn-scheduling's seed on its train split: score ${evaluation.score.toFixed(2)} in ${Math.round(evaluation.durationMs)} ms`,
          }
        : {
            name: "evaluation",
            status: "error",
            detail: `txn-scheduling's seed on its train split: ${evaluation.status}: ${firstLine(evaluation.error ?? evaluation.feedback)}`,
            fix: "see the lines above (addons, sandbox, data); `adrs eval txn-scheduling tasks/txn-scheduling/initial.ts` shows the whole error",
          },
    );
  } catch (e) {
    checks.push({
      name: checks.length === 0 ? "sandbox" : "evaluation",
      status: "error",
      detail: firstLine(e),
      fix: "see the lines above; the sandbox needs node, isolated-vm and (for bubblewrap) user namespaces",
    });
  } finally {
    await sandbox.close();
  }
  return checks;
}

async function dataSets(): Promise<Check[]> {
  // The check is the tasks' own code (the same that reads the data for an evaluation).
  const data = (await importTaskModule(join(TASKS_DIR, "_shared", "data.ts"))) as {
    checkDataSets(): DataSetCheck[];
    DATA_DIR_VARIABLE: string;
  };
  const override = process.env[data.DATA_DIR_VARIABLE];
  return data.checkDataSets().map((d): Check => {
    const name = `data ${d.dataSet}`;
    const where = override ? ` (in ${d.dir}, from ${data.DATA_DIR_VARIABLE})` : "";
    switch (d.status) {
      case "ok":
        return { name, status: "ok", detail: `${d.detail}${where}` };
      case "unverified":
        return {
          name,
          status: "warning",
          detail: `${d.detail}${where}`,
          fix: "add a SHA256SUMS (`sha256sum <files> > SHA256SUMS` in the folder) to have it checked",
        };
      case "missing":
        return {
          name,
          status: "error",
          detail: d.detail,
          fix: override
            ? `copy data/${d.dataSet}/ there, or unset ${data.DATA_DIR_VARIABLE}`
            : `restore it with \`git checkout -- data/${d.dataSet}\``,
        };
      default:
        return {
          name,
          status: "error",
          detail: d.detail,
          fix: override
            ? `replace the file, or unset ${data.DATA_DIR_VARIABLE}`
            : `git checkout -- data/${d.dataSet}`,
        };
    }
  });
}

function freeDisk(runs: string): Check {
  let at = runs;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  const fs = statfsSync(at);
  const free = fs.bavail * fs.bsize;
  const detail = `${(free / GB).toFixed(1)} GB free for ${relative(process.cwd(), runs) || runs}/`;
  if (free >= GB) return { name: "disk", status: "ok", detail };
  const fix = "free some space, or put runs elsewhere with --out";
  return { name: "disk", status: free >= GB / 10 ? "warning" : "error", detail, fix };
}

/** Which providers' keys are set: names only, never values. */
export function modelKeys(env: Record<string, string | undefined>): Check {
  const names = Object.values(KEY_VARIABLES).flat();
  const set = names.filter((n) => env[n]);
  const unset = names.filter((n) => !env[n]);
  if (set.length > 0) {
    return {
      name: "model keys",
      status: "ok",
      detail: `set: ${set.join(", ")}${unset.length ? `; not set: ${unset.join(", ")}` : ""}`,
    };
  }
  return {
    name: "model keys",
    status: "warning",
    detail: `none set (${names.join(", ")}): runs use the LLM-free tuner, or a local server given with --base-url`,
    fix: "export OPENAI_API_KEY=… (or ANTHROPIC_API_KEY, GEMINI_API_KEY) to run with a provider's models",
  };
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.trim().split("\n")[0] ?? text;
}
