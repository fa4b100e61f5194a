// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: Infinity as the answer.
// expect: status=error error=/Infinity at key "sum" is not representable in JSON/
export function solve(numbers) {
  return { sum: Infinity };
}
