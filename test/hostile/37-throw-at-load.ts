// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: Throwing while the module loads.
// expect: status=error error=/failed to load: Error: refusing to load/
throw new Error("refusing to load");
export function solve(numbers) {
  return { sum: 0 };
}
