/**
 * A comparison's numbers, from the records of its runs: per run, the best
 * train and test score, when it reached 90 % of its final best, its rate and
 * spend; per strategy, the mean and standard deviation of each over seeds and
 * the mean best-so-far curves. Pure: no I/O.
 */
import { meanSd, type MeanSd } from "../core/stats.ts";
import type { CurvePoint, RunRecord } from "./record.ts";

/** Share of a run's final best train score that counts as reaching it. */
export const REACHED = 0.9;

export interface RunFigures {
  bestTrain: number | null;
  bestTest: number | null;
  /** First iteration whose best train score is at least 90 % of the run's final best. */
  iterationsTo90: number | null;
  /** Dollars spent on the iterations up to that one. */
  usdTo90: number | null;
  evaluationsPerHour: number;
}

/** x, then the mean best train and test score over the strategy's runs (test null where a run has none yet). */
export type MeanCurve = [number, number, number | null][];

export interface StrategySummary {
  strategy: string;
  runs: number;
  bestTrain: MeanSd;
  bestTest: MeanSd;
  iterationsTo90: MeanSd;
  usdTo90: MeanSd;
  evaluationsPerHour: MeanSd;
  usd: MeanSd;
  iterations: MeanSd;
  byIteration: MeanCurve;
  byDollars: MeanCurve;
}

export interface CompareSummary {
  kind: "adrs-compare";
  version: 1;
  task: string;
  strategies: string[];
  seeds: number[];
  /** The config every run shared (models, budget, evaluation, concurrency). */
  shared: unknown;
  byStrategy: StrategySummary[];
  runs: (RunRecord & RunFigures)[];
}

export function runFigures(record: RunRecord): RunFigures {
  const final = record.curve.at(-1);
  const reached = final ? record.curve.find((p) => p.train >= REACHED * final.train) : undefined;
  return {
    bestTrain: final?.train ?? null,
    bestTest: final?.test ?? null,
    iterationsTo90: reached?.iteration ?? null,
    usdTo90: reached?.usd ?? null,
    evaluationsPerHour: record.activeSeconds > 0 ? (record.evaluations * 3600) / record.activeSeconds : 0,
  };
}

export function summarise(
  head: Pick<CompareSummary, "task" | "strategies" | "seeds" | "shared">,
  records: RunRecord[],
): CompareSummary {
  const runs = records.map((r) => ({ ...r, ...runFigures(r) }));
  const byStrategy = head.strategies.map((strategy): StrategySummary => {
    const mine = runs.filter((r) => r.strategy === strategy);
    const of = (pick: (r: (typeof mine)[number]) => number | null) =>
      meanSd(mine.map(pick).filter((v): v is number => v !== null));
    return {
      strategy,
      runs: mine.length,
      bestTrain: of((r) => r.bestTrain),
      bestTest: of((r) => r.bestTest),
      iterationsTo90: of((r) => r.iterationsTo90),
      usdTo90: of((r) => r.usdTo90),
      evaluationsPerHour: of((r) => r.evaluationsPerHour),
      usd: of((r) => r.usd),
      iterations: of((r) => r.iterations),
      byIteration: meanCurve(
        mine.map((r) => r.curve),
        (p) => p.iteration,
      ),
      byDollars: meanCurve(
        mine.map((r) => r.curve),
        (p) => p.usd,
      ),
    };
  });
  return { kind: "adrs-compare", version: 1, ...head, byStrategy, runs };
}

/**
 * The mean of several best-so-far step curves at every x where one of them
 * steps. A curve counts from its first point on; before it, the mean is over
 * the curves already started.
 */
export function meanCurve(curves: CurvePoint[][], x: (p: CurvePoint) => number): MeanCurve {
  const xs = [...new Set(curves.flatMap((c) => c.map(x)))].sort((a, b) => a - b);
  return xs.map((at) => {
    const current = curves.map((c) => c.filter((p) => x(p) <= at).at(-1)).filter((p) => p !== undefined);
    const train = current.reduce((s, p) => s + p.train, 0) / current.length;
    const tests = current.map((p) => p.test);
    const test = tests.some((t) => t === null)
      ? null
      : (tests as number[]).reduce((s, t) => s + t, 0) / tests.length;
    return [at, train, test];
  });
}
