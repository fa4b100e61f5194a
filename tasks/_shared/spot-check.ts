/**
 * The trusted check both Can't-Be-Late tasks share: the output's shape, the
 * replay of every run's decisions, and the rule that the last run (a repeat
 * of run 0) decides exactly as run 0 did.
 */
import type { ReplayResult } from "./spot-sim.ts";

/** A short description of a value for an error message. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  if (typeof v === "object") return "an object";
  return String(v);
}

export function mean(xs: number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function std(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
}

export interface RunReplayer {
  /** How many runs the workload holds; the last repeats run 0. */
  runs: number;
  /** Names run i in errors. */
  label(i: number): string;
  /** Replays run i's decisions against the trusted trace. */
  replay(i: number, decisions: string): ReplayResult | { error: string };
  /** What the repeated run shares with run 0, for the error ("same trace and job"). */
  same: string;
}

/**
 * Validates `{ decisions: string[] }`, replays every run, and returns the
 * scored runs (the trailing repeat excluded), or the first error.
 */
export function replayDecisions(
  output: unknown,
  r: RunReplayer,
): { results: ReplayResult[] } | { error: string } {
  if (typeof output !== "object" || output === null || Array.isArray(output)) {
    return { error: `output must be an object { decisions: string[] }, got ${describe(output)}` };
  }
  const decisions = (output as { decisions?: unknown }).decisions;
  if (!Array.isArray(decisions)) {
    return { error: `output.decisions must be an array of strings, got ${describe(decisions)}` };
  }
  if (decisions.length !== r.runs) {
    return { error: `output.decisions has ${decisions.length} entries, expected ${r.runs} (one per run)` };
  }
  const results: ReplayResult[] = [];
  for (let i = 0; i < r.runs; i++) {
    const d: unknown = decisions[i];
    if (typeof d !== "string")
      return { error: `${r.label(i)}: decisions must be a string, got ${describe(d)}` };
    const result = r.replay(i, d);
    if ("error" in result) return { error: `${r.label(i)}: ${result.error}` };
    results.push(result);
  }
  // A policy that depends only on its own run decides the repeat exactly as the original.
  const last = r.runs - 1;
  if (last > 0 && decisions[last] !== decisions[0]) {
    return {
      error:
        `run ${last} repeats run 0 (${r.same}) but its decisions differ: ` +
        "a policy must depend only on its own run (no state kept between runs, no Math.random)",
    };
  }
  return { results: last > 0 ? results.slice(0, last) : results };
}
