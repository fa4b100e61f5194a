import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { bundleCandidate } from "../../src/sandbox/bundle.ts";
import type { OutputCheck, Workload } from "../../src/task/contract.ts";

/**
 * Bundles a program exactly as the sandbox does (the program plus the task's
 * driver, its `./api.ts` resolved against the task folder) and runs it once in
 * a fresh realm of this process. For trusted references in tests only: it shows
 * a reference bundles and gives the same answer as when imported directly.
 */
export async function bundleAndRun(
  taskDir: string,
  code: string,
  input: unknown,
  replacer?: (key: string, value: unknown) => unknown,
): Promise<unknown> {
  const bundle = await bundleCandidate({ code, taskDir, driverPath: join(taskDir, "driver.ts") });
  if (!bundle.ok) throw new Error(bundle.error);
  const context: { __adrs?: { run(input: unknown): unknown } } = {};
  runInNewContext(bundle.script, context);
  return JSON.parse(JSON.stringify(await context.__adrs?.run(input), replacer));
}

/**
 * Each of `files` (a task's initial program and references) bundled as the sandbox bundles it
 * gives, on each of `workloads`, what importing it and calling the driver's `run` gives (its
 * output crossing as JSON both ways, through `replacer`), and the task's check accepts it.
 */
export async function assertBundlesAsImported<I>(o: {
  taskDir: string;
  files: readonly string[];
  workloads: readonly Workload<I>[];
  run: (program: Record<string, unknown>, input: I) => unknown;
  check: (workload: Workload<I>, output: unknown) => OutputCheck;
  replacer?: (key: string, value: unknown) => unknown;
}): Promise<void> {
  assert.ok(o.workloads.length > 0, "no workload to run the programs on");
  for (const file of o.files) {
    const code = readFileSync(join(o.taskDir, file), "utf8");
    const program: Record<string, unknown> = await import(join(o.taskDir, file));
    for (const w of o.workloads) {
      // Each run gets its own copy of the input, as each sandbox run does.
      const bundled = await bundleAndRun(o.taskDir, code, structuredClone(w.input), o.replacer);
      const direct = JSON.parse(JSON.stringify(o.run(program, structuredClone(w.input)), o.replacer));
      assert.deepEqual(bundled, direct, `${file} on ${w.id}`);
      assert.equal(o.check(w, bundled).valid, true, `${file} on ${w.id}`);
    }
  }
}
