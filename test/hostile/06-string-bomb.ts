// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: Megabyte strings kept forever: the heap limit, or the clock while V8 collects near the limit.
// expect: status=crash|timeout error=/heap limit of 64 MB exceeded|timed out|CPU time limit/
export function solve(numbers) {
  const keep = [];
  for (let i = 0; ; i++) keep.push(String(i).padStart(1e6, "z"));
}
