// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: A promise that never settles: the wall clock ends it.
// expect: status=timeout error=/timed out after \d+ ms|CPU time limit/
export function solve(numbers) {
  return new Promise(() => {});
}
