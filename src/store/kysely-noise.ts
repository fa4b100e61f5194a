import type { Kysely } from "kysely";
import type { NoiseSummary } from "./store.ts";
import { NOISE_MARK, noiseSummary } from "./projection.ts";
import type { Database } from "./schema.ts";
import { readProgram } from "./upgrade.ts";

/**
 * A run's re-evaluations as the summary shows them, and the best's spread:
 * read from the few programs that carry `noise` (the seed and would-be bests
 * of a noisy task), never from the whole population.
 */
export async function storedNoise(
  db: Kysely<Database>,
  runId: string,
  bestId: string | undefined,
): Promise<{ noise: NoiseSummary | null; bestSpread: number | null }> {
  const rows = await db
    .selectFrom("programs")
    .where("run_id", "=", runId)
    .where("data", "like", NOISE_MARK)
    .select("data")
    .orderBy("seq")
    .execute();
  const programs = rows.map((r) => readProgram(r.data));
  const best = programs.find((p) => p.id === bestId);
  return { noise: noiseSummary(programs), bestSpread: best?.noise?.spread ?? null };
}
