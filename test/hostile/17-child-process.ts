// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: Starting a process: a compile error naming child_process.
// expect: status=error error=/Cannot import "child_process"/
import { execSync } from "child_process";
export function solve(numbers) {
  return { sum: Number(execSync("echo 42")) };
}
