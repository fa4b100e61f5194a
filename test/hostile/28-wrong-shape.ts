// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: An array instead of { sum }: invalid, with the task's reason.
// expect: status=invalid error=/expected an object \{ sum: number \}/
export function solve(numbers) {
  return [numbers.length, "sum", { sum: "1" }];
}
