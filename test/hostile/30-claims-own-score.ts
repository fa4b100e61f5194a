// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: An output claiming a perfect score and metrics: ignored, the sum is judged.
// expect: status=ok score=0
export function solve(numbers) {
  return { sum: 0, score: 100, valid: true, relError: 0, metrics: { relError: 0 } };
}
