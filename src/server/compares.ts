import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compareFiles } from "../compare/plan.ts";
import type { CompareSummary } from "../compare/summarise.ts";
import type { CatalogRun } from "./catalog.ts";
import type { CompareEntry, ComparePayload } from "./payloads.ts";

/** A compare folder's summary.json, or null when it is not one adrs wrote (or not yet complete). */
export function readSummary(dir: string): CompareSummary | null {
  try {
    const summary = JSON.parse(readFileSync(join(dir, compareFiles.summary), "utf8")) as CompareSummary;
    return summary.kind === "adrs-compare" && Array.isArray(summary.byStrategy) ? summary : null;
  } catch {
    return null;
  }
}

export function compareEntry(found: CatalogRun, summary: CompareSummary): CompareEntry {
  return {
    id: found.id,
    name: found.name,
    task: summary.task,
    strategies: summary.strategies,
    seeds: summary.seeds,
    runs: summary.runs.length,
  };
}

/** The page of one comparison: its summary, and its runs' ids among `runs` (matched by folder). */
export function comparePayload(
  found: CatalogRun,
  summary: CompareSummary,
  runs: readonly CatalogRun[],
): ComparePayload {
  const runIds: Record<string, string> = {};
  for (const r of summary.runs) {
    const run = runs.find((x) => x.dir === join(found.dir, r.name));
    if (run) runIds[r.name] = run.id;
  }
  return { ...compareEntry(found, summary), summary, runIds };
}
