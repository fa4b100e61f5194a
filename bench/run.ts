/**
 * `npm run bench`: runs every benchmark module (bench/*.bench.ts and
 * tasks/<id>/bench.ts) and prints one table. A module default-exports an
 * async function returning BenchResult rows. Figures are ratios or medians
 * measured in this run, on this machine; nothing here is asserted by tests.
 * `npm run bench -- engine` runs only the modules whose name contains "engine".
 */
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The figure the issue or README promises, for the table (e.g. "≤ 2"). */
  target?: string;
  note?: string;
}

export type Bench = () => Promise<BenchResult[]>;

const root = join(import.meta.dirname, "..");
const filter = process.argv.slice(2).filter((a) => !a.startsWith("-"));

function modules(): string[] {
  const files = readdirSync(join(root, "bench"))
    .filter((f) => f.endsWith(".bench.ts"))
    .map((f) => join(root, "bench", f));
  const tasksDir = join(root, "tasks");
  for (const id of readdirSync(tasksDir)) {
    const file = join(tasksDir, id, "bench.ts");
    if (existsSync(file)) files.push(file);
  }
  return files.filter((f) => filter.length === 0 || filter.some((s) => relative(root, f).includes(s)));
}

const rows: (BenchResult & { module: string })[] = [];
for (const file of modules()) {
  const name = relative(root, file);
  process.stderr.write(`running ${name} …\n`);
  const bench = (await import(pathToFileURL(file).href)).default as Bench;
  for (const r of await bench()) rows.push({ ...r, module: name });
}

const fmt = (v: number) =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(3);
const table = [
  ["benchmark", "value", "unit", "target", "note"],
  ...rows.map((r) => [r.name, fmt(r.value), r.unit, r.target ?? "", r.note ?? ""]),
];
const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
for (const row of table) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i]!)).join("  ")}\n`);
