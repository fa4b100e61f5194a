/** Curves the run and compare pages draw, computed from the rows the API sends. */
import type { CallRow, CandidateRow } from "../../src/server/payloads.ts";

/** x values, then one y array per line (null where a line has no value). */
export type Table = [number[], ...(number | null)[][]];

/**
 * Best train score among the first k iterations, and the held-out test score
 * of that best program (known once the run has tested it), at every
 * iteration where a program was stored.
 */
export function bestByIteration(rows: Iterable<CandidateRow>): Table {
  const programs = [...rows].filter((r) => r.score !== null).sort((a, b) => a.iteration - b.iteration);
  const xs: number[] = [];
  const train: (number | null)[] = [];
  const test: (number | null)[] = [];
  let best: CandidateRow | null = null;
  for (const p of programs) {
    if (!best || p.score! > best.score!) best = p;
    xs.push(p.iteration);
    train.push(best.score);
    test.push(best.testScore);
  }
  return [xs, train, test];
}

/** The same curves against dollars spent on the iterations up to each point. */
export function bestByDollars(rows: Iterable<CandidateRow>, calls: CallRow[]): Table {
  const byIteration = new Map<number, number>();
  for (const c of calls) {
    if (c.iteration !== null)
      byIteration.set(c.iteration, (byIteration.get(c.iteration) ?? 0) + c.usage.costUsd);
  }
  const [iterations, train, test] = bestByIteration(rows);
  const spent = [...byIteration.entries()].sort((a, b) => a[0] - b[0]);
  const xs: number[] = [];
  let i = 0;
  let total = 0;
  for (const k of iterations) {
    while (i < spent.length && spent[i]![0] <= k) total += spent[i++]![1];
    xs.push(total);
  }
  return [xs, train!, test!];
}

/** Cumulative dollars over time, one line per value of `key` (model or role). */
export function costOverTime(calls: CallRow[], key: "model" | "role"): { names: string[]; table: Table } {
  const names = [...new Set(calls.map((c) => c[key]))].sort();
  const sorted = [...calls].sort((a, b) => a.at - b.at);
  const totals = names.map(() => 0);
  const xs: number[] = [];
  const ys = names.map(() => [] as number[]);
  for (const c of sorted) {
    totals[names.indexOf(c[key])]! += c.usage.costUsd;
    xs.push(c.at / 1000);
    for (let i = 0; i < names.length; i++) ys[i]!.push(totals[i]!);
  }
  return { names, table: [xs, ...ys] };
}

/** Evaluations finished per hour, in equal slices of the run's span (about four evaluations a slice, at most 40 slices). */
export function throughput(rows: Iterable<CandidateRow>): Table {
  const times = [...rows]
    .filter((r) => r.state === "evaluated" && r.settledAt !== null)
    .map((r) => r.settledAt!)
    .sort((a, b) => a - b);
  if (times.length < 2) return [[], []];
  const buckets = Math.max(2, Math.min(40, Math.floor(times.length / 4)));
  const start = times[0]!;
  const span = Math.max(1, times.at(-1)! - start);
  const width = span / buckets;
  const counts = new Array<number>(buckets).fill(0);
  for (const t of times) counts[Math.min(buckets - 1, Math.floor((t - start) / width))]!++;
  const hours = width / 3_600_000;
  return [counts.map((_, i) => (start + (i + 0.5) * width) / 1000), counts.map((n) => n / hours)];
}
