// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: NaN as the answer: JSON cannot carry it, and the error says so.
// expect: status=error error=/NaN at key "sum" is not representable in JSON/
export function solve(numbers) {
  return { sum: NaN };
}
