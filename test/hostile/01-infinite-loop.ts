// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: An endless loop: the wall clock (or the CPU limit) ends it.
// expect: status=timeout error=/timed out after \d+ ms|CPU time limit/
export function solve(numbers) {
  while (true) {}
}
