import type { RunEvent } from "../core/events.ts";

/**
 * The train–test gap of a run's best program: how far its score on the
 * workloads the search tuned it on lies above its score on the held-out ones.
 * A gap that widens past `audit.driftAlarm` points means the search is
 * fitting the train split rather than the problem.
 */

/** The default of `audit.driftAlarm`, in score points (0–100 scale). */
export const DEFAULT_DRIFT_ALARM = 10;

export interface Drift {
  /** Train score minus test score. */
  gap: number;
  /** The margin in force. */
  alarm: number;
  /** The gap is past the margin. */
  alarming: boolean;
}

/** `audit.driftAlarm` of a run's config as stored (the default when the run predates the key). */
export function driftAlarmIn(config: unknown): number {
  const audit = (config as { audit?: { driftAlarm?: unknown } } | null | undefined)?.audit;
  return typeof audit?.driftAlarm === "number" ? audit.driftAlarm : DEFAULT_DRIFT_ALARM;
}

/** The best program's drift, or null before it has a test score. */
export function driftOf(
  best: { score: number; testScore: number | null } | null | undefined,
  alarm = DEFAULT_DRIFT_ALARM,
): Drift | null {
  if (!best || best.testScore === null || best.testScore === undefined) return null;
  const gap = best.score - best.testScore;
  return { gap, alarm, alarming: gap > alarm };
}

/** One line for a progress stream or `status`: "gap 12.30 (train − test), past the drift alarm of 10". */
export function describeDrift(d: Drift): string {
  const past = d.alarming ? `: WARNING, past the drift alarm of ${d.alarm}` : "";
  return `gap ${d.gap.toFixed(2)} (train − test)${past}`;
}

/**
 * Follows a live run's events and calls `warn` each time the best program's
 * gap widens past the alarm: when its test score arrives (test_evaluated)
 * and the gap to its train score is beyond `alarm` and wider than the last
 * one warned of.
 */
export function driftWatcher(alarm: number, warn: (line: string) => void): (event: RunEvent) => void {
  const train = new Map<string, number>();
  let warned = Number.NEGATIVE_INFINITY;
  return (event) => {
    if (event.type === "program_inserted") train.set(event.program.id, event.program.score);
    if (event.type !== "test_evaluated") return;
    const score = train.get(event.programId);
    if (score === undefined || event.evaluation.status !== "ok") return;
    const d = driftOf({ score, testScore: event.evaluation.score }, alarm);
    if (!d?.alarming || d.gap <= warned) return;
    warned = d.gap;
    warn(
      `${event.programId}: train ${score.toFixed(2)}, test ${event.evaluation.score.toFixed(2)}: ${describeDrift(d)}`,
    );
  };
}
