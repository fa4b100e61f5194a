// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: Arrays until the heap gives out: the isolate's memory limit.
// expect: status=crash error=/heap limit of 64 MB exceeded/ timeoutMs=60000
export function solve(numbers) {
  const keep = [];
  while (true) keep.push(new Array(1e6).fill(1.5));
}
