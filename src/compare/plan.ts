/**
 * What a comparison runs: every strategy × seed as an ordinary run folder
 * under the compare folder, all with the same config but for `strategy` and
 * `seed`. The plan is stored beside the runs (compare.json), so re-running the
 * same command finds its runs again and a different config is refused.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { InputError } from "../core/errors.ts";
import { type ConfigOverrides, type RunConfig, resolveRunConfig } from "../engine/config.ts";
import { createRunDir, isRunDir } from "../engine/run-dir.ts";
import { STRATEGY_KINDS, type StrategyKind, strategyConfig } from "../search/config.ts";

export const compareFiles = {
  plan: "compare.json",
  summary: "summary.json",
  table: "summary.md",
} as const;

export interface CompareOptions {
  task?: string;
  /** Strategy kinds, in the order they are reported. */
  strategies: string[];
  /** Runs per strategy; their seeds are the config's seed, seed + 1, … */
  seeds: number;
  /** A YAML run file: models, budget, evaluation and concurrency shared by every run. */
  config?: string;
  overrides?: Omit<ConfigOverrides, "task" | "out" | "strategy">;
  out: string;
}

export interface PlannedRun {
  strategy: StrategyKind;
  seed: number;
  /** The run folder's name inside the compare folder: `<strategy>-seed<seed>`. */
  name: string;
  dir: string;
  config: RunConfig;
}

export interface ComparePlan {
  out: string;
  task: string;
  strategies: StrategyKind[];
  seeds: number[];
  /** What every run shares: the resolved config without strategy, seed and out. */
  shared: Omit<RunConfig, "strategy" | "seed" | "out">;
  runs: PlannedRun[];
}

/** Builds the plan from the command's options; bad ones are an InputError naming the flag. */
export function planCompare(options: CompareOptions): ComparePlan {
  const kinds = STRATEGY_KINDS;
  const strategies = options.strategies.map((s) => s.trim()).filter(Boolean);
  if (strategies.length === 0) throw new InputError(`--strategies: name at least one of ${kinds.join(", ")}`);
  for (const s of strategies) {
    if (!kinds.includes(s as StrategyKind))
      throw new InputError(`--strategies: "${s}" is not a strategy; expected some of ${kinds.join(", ")}`);
  }
  const twice = strategies.find((s, i) => strategies.indexOf(s) !== i);
  if (twice) throw new InputError(`--strategies: "${twice}" is named twice`);
  if (!Number.isInteger(options.seeds) || options.seeds < 1)
    throw new InputError(`--seeds must be at least 1, got ${options.seeds}`);

  const out = resolve(options.out);
  if (isRunDir(out))
    throw new InputError(`--out: ${out} is a run folder; a comparison needs a folder of its own`);
  const base = resolveRunConfig(options.config, { ...options.overrides, task: options.task });
  const { strategy: _s, seed: firstSeed, out: _o, ...shared } = base;
  const seeds = Array.from({ length: options.seeds }, (_, i) => firstSeed + i);
  const runs: PlannedRun[] = [];
  for (const strategy of strategies as StrategyKind[]) {
    for (const seed of seeds) {
      const name = `${strategy}-seed${seed}`;
      const dir = join(out, name);
      runs.push({
        strategy,
        seed,
        name,
        dir,
        config: { ...base, strategy: strategyConfig.parse({ kind: strategy }), seed, out: dir },
      });
    }
  }
  return { out, task: base.task, strategies: strategies as StrategyKind[], seeds, shared, runs };
}

interface StoredPlan {
  kind: "adrs-compare";
  task: string;
  shared: unknown;
}

/**
 * Creates the compare folder and stores the plan, or checks it against the
 * one stored there: the shared config must be the same (strategies and seeds
 * may be added), else the runs would not be comparable.
 */
export function preparePlan(plan: ComparePlan): void {
  const file = join(plan.out, compareFiles.plan);
  if (existsSync(file)) {
    let stored: StoredPlan;
    try {
      stored = JSON.parse(readFileSync(file, "utf8")) as StoredPlan;
    } catch (e) {
      throw new InputError(`${file}: not a comparison's plan (${(e as Error).message})`);
    }
    const differs = differences(
      { task: stored.task, ...(stored.shared as object) },
      {
        task: plan.task,
        ...JSON.parse(JSON.stringify(plan.shared)),
      },
    );
    if (differs.length > 0) {
      throw new InputError(
        `${plan.out} holds a comparison made with other settings (${differs.join(", ")} differ${differs.length > 1 ? "" : "s"}): re-run it with the same flags and config, or choose another --out`,
      );
    }
  } else {
    createRunDir(plan.out);
  }
  const stored = {
    kind: "adrs-compare",
    task: plan.task,
    strategies: plan.strategies,
    seeds: plan.seeds,
    shared: plan.shared,
  };
  writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`);
}

/** Top-level and one-level-down keys whose values differ, as `budget.iterations`. */
function differences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[key];
    const y = b[key];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    if (isObject(x) && isObject(y)) {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
        if (JSON.stringify(x[k]) !== JSON.stringify(y[k])) out.push(`${key}.${k}`);
      }
    } else out.push(key);
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
