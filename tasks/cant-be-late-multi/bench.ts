/**
 * Evaluation time of both splits (34 + 84 runs) for the best-known policy, on
 * one core: the policy driven by the driver inside a bundled realm as in the
 * sandbox, the outputs crossing as JSON, and the trusted replay that bills
 * them. Trace loading (inflating the tarball) is measured apart: it happens
 * once per process.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runInNewContext, runInThisContext } from "node:vm";
import { build } from "esbuild";
import type { BenchResult } from "../../bench/run.ts";
import { run } from "./driver.ts";
import * as bestKnown from "./references/best-known.ts";
import type { Workload } from "../../src/task/api.ts";
import type { ScenarioInput } from "./simulator.ts";
import task from "./task.ts";
import { loadTraces, splitWorkloads } from "./workloads.ts";

const REPEATS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/**
 * The program bundled with the driver as the sandbox bundles it, loaded into
 * this realm (as the sandbox's child process does) or a fresh one.
 */
async function bundled(code: string, realm: "this" | "new"): Promise<(input: unknown) => unknown> {
  const taskDir = import.meta.dirname;
  const result = await build({
    stdin: {
      contents: [
        'import * as candidate from "adrs:candidate";',
        'import { run } from "./driver.ts";',
        "globalThis.__adrs = { run: (input) => run(candidate, input) };",
      ].join("\n"),
      resolveDir: taskDir,
      loader: "ts",
    },
    bundle: true,
    platform: "neutral",
    format: "iife",
    write: false,
    logLevel: "silent",
    plugins: [
      {
        name: "candidate",
        setup(b) {
          b.onResolve({ filter: /^adrs:candidate$/ }, () => ({ path: "candidate", namespace: "candidate" }));
          b.onLoad({ filter: /.*/, namespace: "candidate" }, () => ({
            contents: code,
            loader: "ts",
            resolveDir: taskDir,
          }));
        },
      },
    ],
  });
  const script = result.outputFiles[0]?.text ?? "";
  type Entry = { __adrs?: { run(input: unknown): unknown } };
  let entry: Entry["__adrs"];
  if (realm === "new") {
    const context: Entry = {};
    runInNewContext(script, context);
    entry = context.__adrs;
  } else {
    runInThisContext(script);
    const global = globalThis as Entry;
    entry = global.__adrs;
    delete global.__adrs;
  }
  if (!entry) throw new Error("the bundle did not define __adrs");
  const e = entry;
  return (input) => e.run(input);
}

function timeSplit(
  workloads: Workload<ScenarioInput>[],
  call: (input: unknown) => unknown,
): { full: number; policy: number; replay: number } {
  const full: number[] = [];
  const policy: number[] = [];
  const replay: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now();
    // Inputs and outputs cross the sandbox boundary as JSON.
    const outputs = workloads.map((w) =>
      JSON.parse(JSON.stringify(call(JSON.parse(JSON.stringify(w.input))))),
    );
    const mid = performance.now();
    for (let j = 0; j < workloads.length; j++) {
      const check = task.check(workloads[j] as Workload<ScenarioInput>, outputs[j]);
      if (!check.valid) throw new Error(`bench: ${check.error}`);
    }
    const end = performance.now();
    full.push(end - start);
    policy.push(mid - start);
    replay.push(end - mid);
  }
  return { full: median(full), policy: median(policy), replay: median(replay) };
}

export default async function bench(): Promise<BenchResult[]> {
  let start = performance.now();
  await loadTraces();
  const loadMs = performance.now() - start;
  const workloads = [...(await splitWorkloads("train")), ...(await splitWorkloads("test"))];
  const runs = workloads.reduce((n, w) => n + w.input.runs.length - 1, 0);
  const code = readFileSync(join(import.meta.dirname, "references", "best-known.ts"), "utf8");
  const sandboxed = timeSplit(workloads, await bundled(code, "this"));
  const fresh = timeSplit(workloads, await bundled(code, "new"));
  // In this realm, without bundling or JSON: the floor.
  const direct: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    start = performance.now();
    for (const w of workloads) run(bestKnown, w.input);
    direct.push(performance.now() - start);
  }
  return [
    {
      name: "cant-be-late-multi: best known, train + test",
      value: sandboxed.full / 1000,
      unit: "s",
      note: `${runs} runs, one core: bundled driver + policy, JSON both ways, trusted replay; median of ${REPEATS}`,
    },
    {
      name: "cant-be-late-multi: trusted replay share",
      value: sandboxed.replay / sandboxed.full,
      unit: "ratio",
      note: `driver + policy ${sandboxed.policy.toFixed(0)} ms, replay ${sandboxed.replay.toFixed(0)} ms`,
    },
    {
      name: "cant-be-late-multi: same, policy in a fresh vm context",
      value: fresh.full / sandboxed.full,
      unit: "ratio",
      note: `${(fresh.full / 1000).toFixed(2)} s: global lookups (Math) are slow in a contextified realm`,
    },
    {
      name: "cant-be-late-multi: driver + policy, in-process vs bundled",
      value: median(direct) / sandboxed.policy,
      unit: "ratio",
      note: `in-process ${median(direct).toFixed(0)} ms`,
    },
    {
      name: "cant-be-late-multi: trace loading (tarball, once per process)",
      value: loadMs / 1000,
      unit: "s",
    },
  ];
}
