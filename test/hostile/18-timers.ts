// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: A timer to escape the call: there are no timers in the realm.
// expect: status=error error=/setTimeout is not defined/
export function solve(numbers) {
  setTimeout(() => {}, 10);
  return { sum: 0 };
}
