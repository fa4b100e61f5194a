// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: A microtask that schedules itself forever (its promises pile up: the clock or the heap limit ends it).
// expect: status=timeout|crash error=/timed out|CPU time limit|heap limit of 64 MB exceeded/
export function solve(numbers) {
  const again = () => Promise.resolve().then(again);
  again();
  return new Promise(() => {});
}
