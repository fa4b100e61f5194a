// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: Unbounded recursion: a RangeError inside the realm.
// expect: status=error error=/Maximum call stack size exceeded/
function down(n) {
  return down(n + 1) + 1;
}
export function solve(numbers) {
  return { sum: down(0) };
}
