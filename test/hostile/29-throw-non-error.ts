// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: Throwing an object whose toString throws too.
// expect: status=error error=/threw a non-Error value/
export function solve(numbers) {
  throw {
    toString() {
      throw new Error("no");
    },
    sum: 1,
  };
}
