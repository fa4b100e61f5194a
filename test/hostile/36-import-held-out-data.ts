// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: Importing the held-out data as a module: only files in the task folder resolve.
// expect: status=error error=/Cannot import/
import data from "../../../data/txn-scheduling/workloads.json";
export function solve(numbers) {
  return { sum: Object.keys(data).length };
}
