/**
 * The benchmark both Can't-Be-Late tasks run: evaluation time of a reference
 * policy on one core, driven by the task's driver inside the bundle the
 * sandbox builds, outputs crossing as JSON, plus the trusted replay that
 * bills them. Trace loading (inflating the tarball) is measured apart: it
 * happens once per process.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runInNewContext, runInThisContext } from "node:vm";
import type { BenchResult } from "../../bench/run.ts";
import { median, timed } from "../../bench/measure.ts";
import { bundleCandidate } from "../../src/sandbox/bundle.ts";
import type { OutputCheck, Workload } from "../../src/task/api.ts";

const REPEATS = 5;

export interface SpotBenchOptions<I extends { runs: unknown[] }> {
  /** Prefix of every row: the task id. */
  label: string;
  /** What the first row measures, e.g. "Uniform Progress, full published set". */
  title: string;
  target?: string;
  taskDir: string;
  /** The reference, as a file name under references/ and as its imported module. */
  reference: { file: string; module: Record<string, unknown> };
  check(workload: Workload<I>, output: unknown): OutputCheck;
  run(candidate: Record<string, unknown>, input: I): unknown;
  loadTraces(): Promise<unknown>;
  workloads(): Promise<Workload<I>[]>;
}

/** The program bundled as the sandbox bundles it, loaded into this realm (as the child does) or a fresh one. */
async function bundled(
  taskDir: string,
  code: string,
  realm: "this" | "new",
): Promise<(input: unknown) => unknown> {
  const bundle = await bundleCandidate({ code, taskDir, driverPath: join(taskDir, "driver.ts") });
  if (!bundle.ok) throw new Error(bundle.error);
  type Entry = { __adrs?: { run(input: unknown): unknown } };
  let entry: Entry["__adrs"];
  if (realm === "new") {
    const context: Entry = {};
    runInNewContext(bundle.script, context);
    entry = context.__adrs;
  } else {
    runInThisContext(bundle.script);
    const global = globalThis as Entry;
    entry = global.__adrs;
    delete global.__adrs;
  }
  if (!entry) throw new Error("the bundle did not define __adrs");
  const e = entry;
  return (input) => e.run(input);
}

export async function spotBench<I extends { runs: unknown[] }>(
  o: SpotBenchOptions<I>,
): Promise<BenchResult[]> {
  const loadMs = await timed(() => o.loadTraces());
  const workloads = await o.workloads();
  // Each workload repeats its first run at the end (the statelessness check): not counted.
  const runs = workloads.reduce((n, w) => n + w.input.runs.length - 1, 0);

  const timeSplit = (call: (input: unknown) => unknown) => {
    const full: number[] = [];
    const policy: number[] = [];
    const replay: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const t0 = performance.now();
      // Inputs and outputs cross the sandbox boundary as JSON.
      const outputs = workloads.map((w) =>
        JSON.parse(JSON.stringify(call(JSON.parse(JSON.stringify(w.input))))),
      );
      const t1 = performance.now();
      workloads.forEach((w, j) => {
        const check = o.check(w, outputs[j]);
        if (!check.valid) throw new Error(`bench: ${check.error}`);
      });
      const t2 = performance.now();
      full.push(t2 - t0);
      policy.push(t1 - t0);
      replay.push(t2 - t1);
    }
    return { full: median(full), policy: median(policy), replay: median(replay) };
  };

  const code = readFileSync(join(o.taskDir, "references", o.reference.file), "utf8");
  const sandboxed = timeSplit(await bundled(o.taskDir, code, "this"));
  const fresh = timeSplit(await bundled(o.taskDir, code, "new"));
  // In this realm, without bundling or JSON: the floor.
  const direct: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now();
    for (const w of workloads) o.run(o.reference.module, w.input);
    direct.push(performance.now() - start);
  }
  return [
    {
      name: `${o.label}: ${o.title}`,
      value: sandboxed.full / 1000,
      unit: "s",
      ...(o.target ? { target: o.target } : {}),
      note: `${runs} runs, one core: bundled driver + policy, JSON both ways, trusted replay; median of ${REPEATS}`,
    },
    {
      name: `${o.label}: trusted replay share`,
      value: sandboxed.replay / sandboxed.full,
      unit: "ratio",
      note: `driver + policy ${sandboxed.policy.toFixed(0)} ms, replay ${sandboxed.replay.toFixed(0)} ms`,
    },
    {
      name: `${o.label}: same, policy in a fresh vm context`,
      value: fresh.full / sandboxed.full,
      unit: "ratio",
      note: `${(fresh.full / 1000).toFixed(2)} s: global lookups (Math) are slow in a contextified realm`,
    },
    {
      name: `${o.label}: driver + policy, in-process vs bundled`,
      value: median(direct) / sandboxed.policy,
      unit: "ratio",
      note: `in-process ${median(direct).toFixed(0)} ms`,
    },
    { name: `${o.label}: trace loading (tarball, once per process)`, value: loadMs / 1000, unit: "s" },
  ];
}
