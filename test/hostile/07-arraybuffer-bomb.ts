// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: ArrayBuffers are counted against the isolate's limit: the allocation fails.
// expect: status=error|crash error=/Array buffer allocation failed|heap limit/
export function solve(numbers) {
  const keep = [];
  for (let i = 0; i < 64; i++) keep.push(new ArrayBuffer(256 * 1024 * 1024));
  return { sum: keep.length };
}
