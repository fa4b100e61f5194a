// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: Blocking the isolate's thread in Atomics.wait: the engine's wall clock kills the process group.
// expect: status=timeout error=/timed out after \d+ ms|CPU time limit/
export function solve(numbers) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  return { sum: 0 };
}
