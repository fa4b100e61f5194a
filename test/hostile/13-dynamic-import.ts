// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: A computed dynamic import: the realm has no module loader.
// expect: status=error error=/Not supported/
export async function solve(numbers) {
  const name = ["node", "fs"].join(":");
  const fs = await import(name);
  return { sum: fs.readFileSync("/etc/hostname", "utf8").length };
}
