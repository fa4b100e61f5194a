// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: A plain object with millions of keys: V8 aborts the whole process (the child, never the engine); near the limit V8 collects for seconds, so on a loaded machine a clock may end it first.
// expect: status=crash|timeout error=/heap limit of 64 MB exceeded|timed out after \d+ ms|CPU time limit/
export function solve(numbers) {
  const o = {};
  for (let i = 0; i < 2e7; i++) o["k" + i] = i;
  return { sum: Object.keys(o).length };
}
