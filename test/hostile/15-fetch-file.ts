// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: fetch of the held-out workloads as a file URL: there is no fetch.
// expect: status=error error=/fetch is not defined/
export async function solve(numbers) {
  const res = await fetch("file:data/txn-scheduling/workloads.json");
  return { sum: (await res.text()).length };
}
