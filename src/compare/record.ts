/** What a comparison reads of one stored run: its totals and its best-so-far curve. */
import { join } from "node:path";
import { runFiles } from "../engine/run-dir.ts";
import { openSqliteStore } from "../store/sqlite/index.ts";
import type { Store } from "../store/store.ts";
import type { PlannedRun } from "./plan.ts";

/** The best program among the iterations up to `iteration`, and the dollars those iterations spent. */
export interface CurvePoint {
  iteration: number;
  usd: number;
  train: number;
  /** The held-out score of that best program (null until the run has tested it). */
  test: number | null;
}

export interface RunRecord {
  strategy: string;
  seed: number;
  /** The run folder, relative to the compare folder. */
  name: string;
  state: string;
  stopReason: string | null;
  iterations: number;
  evaluations: number;
  usd: number;
  activeSeconds: number;
  /** A point at iteration 0 (the seed), at every iteration where the best changed, and at the last iteration. */
  curve: CurvePoint[];
}

export async function readRun(run: PlannedRun): Promise<RunRecord> {
  const store = await openSqliteStore(join(run.dir, runFiles.database), { readonly: true });
  try {
    return await recordOf(store, run);
  } finally {
    await store.close();
  }
}

export async function recordOf(
  store: Store,
  run: Pick<PlannedRun, "strategy" | "seed" | "name">,
): Promise<RunRecord> {
  const summary = await store.summary();
  const tests = new Map<string, number>();
  for (const e of await store.events(0, Number.MAX_SAFE_INTEGER, ["test_evaluated"])) {
    if (e.type === "test_evaluated" && e.evaluation.status === "ok")
      tests.set(e.programId, e.evaluation.score);
  }
  const spentAt = new Map<number, number>();
  for (const call of await store.ledger()) {
    if (call.iteration !== null)
      spentAt.set(call.iteration, (spentAt.get(call.iteration) ?? 0) + call.usage.costUsd);
  }
  const spent = [...spentAt.entries()].sort((a, b) => a[0] - b[0]);
  let spentIndex = 0;
  let usd = 0;
  const usdUpTo = (iteration: number) => {
    while (spentIndex < spent.length && spent[spentIndex]![0] <= iteration) usd += spent[spentIndex++]![1];
    return usd;
  };

  const programs = (await store.programs()).sort((a, b) => a.iteration - b.iteration);
  const curve: CurvePoint[] = [];
  let best: (typeof programs)[number] | undefined;
  for (const p of programs) {
    if (best && p.score <= best.score) continue;
    best = p;
    curve.push({
      iteration: p.iteration,
      usd: usdUpTo(p.iteration),
      train: p.score,
      test: tests.get(p.id) ?? null,
    });
  }
  const last = curve.at(-1);
  if (best && last && summary.iterations > last.iteration) {
    curve.push({ ...last, iteration: summary.iterations, usd: usdUpTo(summary.iterations) });
  }
  return {
    strategy: run.strategy,
    seed: run.seed,
    name: run.name,
    state: summary.state,
    stopReason: summary.stopReason,
    iterations: summary.iterations,
    evaluations: summary.evaluations,
    usd: summary.costUsd,
    activeSeconds: await store.activeSeconds(),
    curve,
  };
}
