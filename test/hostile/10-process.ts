// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: process.exit from the candidate: there is no process in the realm.
// expect: status=error error=/ReferenceError: process is not defined/
export function solve(numbers) {
  process.exit(0);
}
