/** What the benches measure with: one timing, and the median of repeated ones (the engine's own). */
export { median } from "../src/core/stats.ts";

/** Milliseconds `f` takes, awaited. */
export async function timed(f: () => unknown): Promise<number> {
  const start = performance.now();
  await f();
  return performance.now() - start;
}
