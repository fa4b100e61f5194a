// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: An output larger than the limit: an error naming the size.
// expect: status=error error=/output too large/
export function solve(numbers) {
  return { sum: 0, padding: "x".repeat(4e6) };
}
