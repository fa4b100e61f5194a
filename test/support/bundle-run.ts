import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { bundleCandidate } from "../../src/sandbox/bundle.ts";

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
