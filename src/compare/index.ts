/**
 * `adrs compare`: several strategies on one task, each over several seeds,
 * every run an ordinary run folder with the same budget, models and
 * evaluation settings; then a summary of them (summary.json, summary.md and
 * SVG plots) in the compare folder.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ComparePlan, compareFiles, type PlannedRun } from "./plan.ts";
import { readRun } from "./record.ts";
import { isRunDir } from "../engine/run-dir.ts";
import { lineChart, SVG_PALETTE, type SvgLine } from "./svg.ts";
import { type CompareSummary, type MeanCurve, summarise } from "./summarise.ts";
import { markdownTable } from "./table.ts";

export {
  type CompareOptions,
  type ComparePlan,
  compareFiles,
  type PlannedRun,
  planCompare,
  preparePlan,
} from "./plan.ts";
export { type RunResult, type Schedule, type ScheduleOptions, schedule } from "./schedule.ts";
export { type CompareSummary, summarise } from "./summarise.ts";
export { markdownTable } from "./table.ts";

/** The plots a comparison writes: file name, title, axis, and which curve and score. */
export const PLOTS = [
  ["best-train-by-iteration.svg", "best train score against iterations", "iteration", "byIteration", 1],
  [
    "best-test-by-iteration.svg",
    "held-out test score of the best program against iterations",
    "iteration",
    "byIteration",
    2,
  ],
  ["best-train-by-dollars.svg", "best train score against dollars", "dollars", "byDollars", 1],
  [
    "best-test-by-dollars.svg",
    "held-out test score of the best program against dollars",
    "dollars",
    "byDollars",
    2,
  ],
] as const;

/** Reads every run of the plan that exists and writes summary.json, summary.md and the plots; returns the summary. */
export async function writeSummary(plan: ComparePlan): Promise<CompareSummary> {
  const present: PlannedRun[] = plan.runs.filter((r) => isRunDir(r.dir));
  const records = await Promise.all(present.map(readRun));
  const summary = summarise(
    { task: plan.task, strategies: plan.strategies, seeds: plan.seeds, shared: plan.shared },
    records,
  );
  writeFileSync(join(plan.out, compareFiles.summary), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(plan.out, compareFiles.table), markdownTable(summary));
  for (const [file, title, x, curve, column] of PLOTS) {
    const lines: SvgLine[] = summary.byStrategy.map((s, i) => ({
      label: `${s.strategy} (mean of ${s.runs})`,
      color: SVG_PALETTE[i % SVG_PALETTE.length]!,
      points: (s[curve] as MeanCurve).map((p) => [p[0], p[column]] as [number, number | null]),
    }));
    writeFileSync(
      join(plan.out, file),
      lineChart({ title: `${plan.task}: ${title}`, x, y: "score (0–100)", lines }),
    );
  }
  return summary;
}
