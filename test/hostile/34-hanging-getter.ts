// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: An output whose getter never returns: encoding it runs under the clock.
// expect: status=timeout error=/timed out|CPU time limit/
export function solve(numbers) {
  return {
    get sum() {
      while (true) {}
    },
  };
}
