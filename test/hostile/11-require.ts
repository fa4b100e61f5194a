// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: require, reached through the global object: there is none.
// expect: status=error error=/require is not a function/
export function solve(numbers) {
  const fs = globalThis["req" + "uire"]("fs");
  return { sum: fs.readFileSync("/etc/hostname", "utf8").length };
}
