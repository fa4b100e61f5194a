/**
 * What the sandbox costs. Evaluation overhead for a trivial candidate on the
 * sum-task fixture (three tiny workloads): warm (a waiting child takes the
 * job) and cold (a process started per job), through the Evaluator (bundling
 * included) and through the sandbox alone. And a tight driver loop calling the
 * candidate inside the sandbox, against the same loop in plain Node, as a ratio
 * measured in the same run.
 */
import { join } from "node:path";
import { Evaluator } from "../src/evaluate/index.ts";
import { ProcessSandbox, type SandboxJob } from "../src/sandbox/index.ts";
import { loadTask } from "../src/task/load.ts";
import type { BenchResult } from "./run.ts";
import { median, timed } from "./measure.ts";

const fixture = join(import.meta.dirname, "..", "test", "fixtures", "sum-task");
const WARM_RUNS = 30;
const COLD_RUNS = 12;
const LOOP_CALLS = 100_000_000;
const LOOP_ROUNDS = 3;

/** A trivial candidate, different each time so that no cache can answer. */
const trivial = (i: number) => `export function solve(xs: number[]) { return { sum: ${i} }; }`;

const POLICY = "function policy(a, b) { return a * 31 + (b % 7); }";
const LOOP = `let acc = 0; for (let i = 0; i < n; i++) acc = (acc + policy(i, 3)) | 0; return acc;`;

export default async function sandboxBench(): Promise<BenchResult[]> {
  const task = await loadTask(fixture);
  const rows: BenchResult[] = [];
  const log = () => undefined;

  // Warm: a pool of one waiting child; each job takes it and a fresh one starts behind.
  const warm = new ProcessSandbox({ concurrency: 1, warm: 1, log });
  const protection = (await warm.ready()).kind;
  const ev = new Evaluator(task, warm, { cacheSize: 0, timeoutMs: 10_000, memoryMb: 64 });
  const script = `globalThis.__adrs = { run: (input) => ({ sum: input.numbers.length }) };`;
  const job: SandboxJob = { script, inputs: [{ numbers: [1, 2, 3] }], timeoutMs: 10_000, memoryMb: 64 };
  await ev.evaluate(trivial(-1), "train");
  // Let the replacement child boot, as it would between an engine's evaluations.
  const settle = async () => {
    await new Promise((r) => setImmediate(r));
    await warm.warmed();
  };
  const warmEval: number[] = [];
  const warmRun: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    await settle();
    warmEval.push(await timed(() => ev.evaluate(trivial(i), "train")));
    await settle();
    warmRun.push(await timed(() => warm.run(job)));
  }
  await warm.close();

  const cold = new ProcessSandbox({ concurrency: 1, warm: 0, log });
  const coldEv = new Evaluator(task, cold, { cacheSize: 0, timeoutMs: 10_000, memoryMb: 64 });
  const coldEval: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    coldEval.push(await timed(() => coldEv.evaluate(trivial(i), "train")));
  }

  // The same loop in the sandbox (timed by the child around the call into the isolate) and here.
  // An IIFE, as esbuild bundles a candidate: the policy is a closure variable on both sides.
  const loopScript = `(() => {\n${POLICY}\nglobalThis.__adrs = { run: (n) => { ${LOOP} } };\n})();`;
  // Rounds alternate between the two sides, so both see the machine's load alike. V8 needs a
  // couple of calls to settle on optimised code, so each sandbox round is one job whose first
  // two calls are warm-up, and plain Node is warmed up the same way.
  const plain = new Function(`${POLICY}\nreturn (n) => { ${LOOP} };`)() as (n: number) => number;
  plain(LOOP_CALLS);
  plain(LOOP_CALLS);
  const inside: number[] = [];
  const outside: number[] = [];
  for (let r = 0; r < LOOP_ROUNDS; r++) {
    const res = await cold.run({
      script: loopScript,
      inputs: [LOOP_CALLS, LOOP_CALLS, LOOP_CALLS, LOOP_CALLS],
      timeoutMs: 120_000,
      memoryMb: 64,
    });
    for (const out of res.outputs.slice(2)) {
      if (!out.ok) throw new Error(`the loop failed in the sandbox: ${out.error}`);
      inside.push(out.durationMs);
    }
    if (res.status !== "ok") throw new Error(`the loop failed in the sandbox: ${res.error}`);
    for (let i = 0; i < 2; i++) {
      const t = performance.now();
      plain(LOOP_CALLS);
      outside.push(performance.now() - t);
    }
  }
  await cold.close();

  const note = `protection: ${protection}`;
  rows.push(
    {
      name: "evaluation, warm (trivial candidate, median)",
      value: median(warmEval),
      unit: "ms",
      target: "≤ 30",
      note,
    },
    { name: "sandbox job, warm (prebuilt script, median)", value: median(warmRun), unit: "ms", note },
    {
      name: "evaluation, cold (process per job, median)",
      value: median(coldEval),
      unit: "ms",
      target: "≤ 200",
      note,
    },
    {
      name: "driver loop in the sandbox vs plain Node",
      value: Math.min(...inside) / Math.min(...outside),
      unit: "x",
      target: "≤ 1.5",
      note: `${(LOOP_CALLS / 1e6).toFixed(0)}M calls, best of ${inside.length}: ${Math.min(...inside).toFixed(0)} vs ${Math.min(...outside).toFixed(0)} ms`,
    },
  );
  return rows;
}
