/**
 * How fast the CLI answers: `adrs tasks` and `adrs eval prism
 * tasks/prism/initial.ts`, each against a bare `node -e 0` measured in the
 * same rounds (interleaved, so load changes hit all three alike). The CLI runs
 * from its build, made fresh first so that no round pays for a rebuild.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ensureBuilt } from "../bin/build.mjs";
import { median } from "../src/core/stats.ts";
import type { BenchResult } from "./run.ts";

const root = join(import.meta.dirname, "..");
const ROUNDS = 10;

function wallMs(args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8" });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

export default async function startupBench(): Promise<BenchResult[]> {
  await ensureBuilt();
  const commands = {
    node: ["-e", "0"],
    tasks: ["bin/adrs.js", "tasks"],
    eval: ["bin/adrs.js", "eval", "prism", "tasks/prism/initial.ts"],
  };
  const times = { node: [] as number[], tasks: [] as number[], eval: [] as number[] };
  // One unmeasured round: the file system cache, as a user's second command finds it.
  for (const args of Object.values(commands)) wallMs(args);
  for (let i = 0; i < ROUNDS; i++) {
    for (const [name, args] of Object.entries(commands)) times[name as keyof typeof times].push(wallMs(args));
  }
  const node = median(times.node);
  const row = (name: string, ms: number[], target: string): BenchResult[] => [
    {
      name: `${name}, beyond a bare node start (median of ${ROUNDS})`,
      value: (median(ms) - node) / 1000,
      unit: "s",
      target,
      note: `${(median(ms) / 1000).toFixed(3)} s against node -e 0 at ${(node / 1000).toFixed(3)} s`,
    },
    { name: `${name} / node -e 0`, value: median(ms) / node, unit: "×" },
  ];
  return [
    { name: "node -e 0 (baseline, median)", value: node / 1000, unit: "s" },
    ...row("adrs tasks", times.tasks, "≤ 0.4"),
    ...row("adrs eval prism tasks/prism/initial.ts", times.eval, "≤ 1"),
  ];
}
