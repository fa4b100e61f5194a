// @ts-nocheck
// biome-ignore-all lint: a hostile candidate program, kept as the model would write it
// hostile: WebAssembly memory is not counted by the isolate, so WebAssembly is removed from the realm.
// expect: status=error error=/WebAssembly is not defined/
export function solve(numbers) {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
  memory.grow(16384);
  return { sum: memory.buffer.byteLength };
}
