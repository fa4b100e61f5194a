// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: Polluting Object.prototype so that an empty output looks valid: the output crosses as JSON, own fields only.
// expect: status=invalid error=/expected an object \{ sum: number \}/
Object.prototype.sum = 1e9;
Object.prototype.valid = true;
Array.prototype.sum = 1e9;
export function solve(numbers) {
  return {};
}
