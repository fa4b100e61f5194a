/** Projection rules both stores share, so SQLite and memory cannot drift apart. */
import type { Candidate, Evaluation, NoiseMeasure, Settled } from "../core/types.ts";
import type { NoiseSummary } from "./store.ts";
import { readProgram } from "./upgrade.ts";

/** A settled candidate from its projected row: its state, its reason, its evaluation and its program (JSON). */
export function settledOf(
  candidate: Omit<Candidate, "code"> & { code: string | null },
  state: string,
  reason: string | null,
  evaluation: string | Evaluation | null,
  program: string | null,
): Settled {
  if (state === "rejected") {
    return { status: "rejected", candidate: { ...candidate, code: null }, reason: reason ?? "" };
  }
  const code = candidate.code ?? "";
  if (state === "screened")
    return { status: "screened", candidate: { ...candidate, code }, reason: reason ?? "" };
  const e = (typeof evaluation === "string" ? JSON.parse(evaluation) : evaluation) as Evaluation;
  return program
    ? { status: "ok", candidate: { ...candidate, code }, evaluation: e, program: readProgram(program) }
    : { status: "failed", candidate: { ...candidate, code }, evaluation: e };
}

/** Why a child failed, for the next prompt: the stored reason, else the evaluation's error or first feedback line. */
export function failureReason(reason: string | null, evaluation: Evaluation | undefined): string {
  return reason ?? evaluation?.error ?? evaluation?.feedback.split("\n")[0] ?? "evaluation failed";
}

/** Two lists sorted by seq, as one. */
export function mergeBySeq<T extends { seq: number }>(a: T[], b: T[]): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && (a[i] as T).seq < (b[j] as T).seq)) out.push(a[i++] as T);
    else out.push(b[j++] as T);
  }
  return out;
}

/**
 * Seconds a run was active over its sessions, from its lifecycle events in
 * order (start or resume to stop; a session still open counts up to `now`).
 * A session that was killed has no stop: it counts up to its last event
 * (`previousAt` of the resume that follows it), which the engine's heartbeat
 * keeps within a few seconds of the kill.
 */
export function activeSecondsOf(
  lifecycle: readonly { type: string; at: number; previousAt: number | null }[],
  now: number,
): number {
  let total = 0;
  let open: number | null = null;
  for (const r of lifecycle) {
    if (r.type === "run_stopped") {
      if (open !== null) total += r.at - open;
      open = null;
    } else {
      if (open !== null && r.previousAt !== null) total += Math.max(0, r.previousAt - open);
      open = r.at;
    }
  }
  if (open !== null) total += now - open;
  return total / 1000;
}

/** The programs' stored noise (the seed's floor and the rounds) as one summary; null when none was measured. */
export function noiseSummary(
  programs: readonly { iteration: number; noise?: NoiseMeasure }[],
): NoiseSummary | null {
  const measured = programs.filter((p) => p.noise);
  if (measured.length === 0) return null;
  const summary: NoiseSummary = { floor: null, rounds: 0, won: 0, reevaluations: 0 };
  for (const { iteration, noise } of measured) {
    const m = noise as NoiseMeasure;
    summary.reevaluations += m.samples.length + (m.incumbent?.samples.length ?? 0);
    if (iteration === 0 && !m.incumbent) {
      summary.floor = { median: m.median, spread: m.spread, samples: m.samples.length };
    } else {
      summary.rounds++;
      if (m.won) summary.won++;
    }
  }
  return summary;
}

/** A noisy program's rows carry `"noise":` in their JSON: the cheap filter before parsing them. */
export const NOISE_MARK = '%"noise":%';
