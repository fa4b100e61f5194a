// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: A Map with ten million entries: the same host-killing allocation, contained in the child (or ended by a clock while V8 collects).
// expect: status=crash|timeout error=/heap limit of 64 MB exceeded|timed out after \d+ ms|CPU time limit/
export function solve(numbers) {
  const m = new Map();
  for (let i = 0; i < 1e7; i++) m.set(i, { i });
  return { sum: m.size };
}
