// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: A static import of node:fs: a compile error naming the module.
// expect: status=error error=/Cannot import "node:fs": Node built-in modules are not available/
import { readFileSync } from "node:fs";
export function solve(numbers) {
  return { sum: Number(readFileSync("/etc/hostname", "utf8")) };
}
