import type { Split, WorkloadResult } from "../../../src/core/types.ts";
import type { SplitScore, Workload } from "../../../src/task/contract.ts";
import { run } from "../driver.ts";
import task from "../task.ts";
import type { PrismInput } from "../workloads.ts";

/** Runs a program in-process the way the sandbox would (outputs cross as JSON), then scores it. */
export async function evaluate(
  program: Record<string, unknown>,
  split: Split,
  workloads?: Workload<PrismInput>[],
): Promise<SplitScore & { results: WorkloadResult[] }> {
  const list = workloads ?? (await task.workloads(split));
  const results: WorkloadResult[] = list.map((w) => {
    let output: unknown;
    try {
      output = JSON.parse(JSON.stringify(run(program, w.input)));
    } catch (e) {
      return { workload: w.id, valid: false, metrics: {}, error: (e as Error).message };
    }
    const check = task.check(w, output);
    return { workload: w.id, valid: check.valid, metrics: check.metrics, error: check.error };
  });
  return { ...task.aggregate(split, results, list), results };
}

/**
 * Bundles a program's code the way a candidate is bundled (its `./api.ts`
 * resolved against the task folder, platform neutral, an IIFE) and runs it in
 * a fresh realm on one input.
 */
export async function bundleAndRun(code: string, input: unknown): Promise<unknown> {
  const { build } = await import("esbuild");
  const { runInNewContext } = await import("node:vm");
  const taskDir = (await import("node:path")).join(import.meta.dirname, "..");
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
  const context: { __adrs?: { run(input: unknown): unknown } } = {};
  runInNewContext(result.outputFiles[0]?.text ?? "", context);
  return JSON.parse(JSON.stringify(context.__adrs?.run(input)));
}
