// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: Throwing a Proxy whose traps never return: describing it runs under the clock too.
// expect: status=timeout error=/timed out|CPU time limit/
export function solve(numbers) {
  throw new Proxy(
    {},
    {
      getPrototypeOf() {
        while (true) {}
      },
    },
  );
}
