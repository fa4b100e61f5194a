/** A comparison's summary as a Markdown table: one row per strategy, mean ± sd over its seeds. */
import type { MeanSd } from "../core/stats.ts";
import type { CompareSummary } from "./summarise.ts";

export function markdownTable(summary: CompareSummary): string {
  const head = [
    "strategy",
    "runs",
    "best train",
    "best test",
    "iterations to 90 %",
    "$ to 90 %",
    "evaluations / hour",
    "$",
  ];
  const rows = summary.byStrategy.map((s) => [
    `\`${s.strategy}\``,
    String(s.runs),
    show(s.bestTrain, 2),
    show(s.bestTest, 2),
    show(s.iterationsTo90, 1),
    show(s.usdTo90, 4),
    show(s.evaluationsPerHour, 0),
    show(s.usd, 4),
  ]);
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(head),
    line(head.map((_, i) => (i < 1 ? "---" : "---:"))),
    ...rows.map(line),
    "",
    `Task \`${summary.task}\`, seeds ${summary.seeds.join(", ")}; mean ± sample standard deviation over seeds. ` +
      "Scores are the task's 0–100 scale; test is the held-out split's score of each run's best train program. " +
      "90 %: the first iteration whose best train score reached 90 % of the run's final best.",
    "",
  ].join("\n");
}

/** `mean ± sd`, or `–` when no run has the figure. */
export function show(v: MeanSd, digits: number): string {
  if (v.mean === null) return "–";
  return v.n > 1 ? `${v.mean.toFixed(digits)} ± ${(v.sd ?? 0).toFixed(digits)}` : v.mean.toFixed(digits);
}
