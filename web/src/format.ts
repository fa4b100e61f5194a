export const score = (s: number | null | undefined): string => (s == null ? "–" : s.toFixed(2));

/** A score with the spread of its re-evaluations when a noisy task measured it more than once. */
export const scoreSpread = (s: number | null | undefined, spread: number | null | undefined): string =>
  s == null || spread == null ? score(s) : `${s.toFixed(2)} ± ${spread.toFixed(2)}`;

export const usd = (x: number): string =>
  x === 0 ? "$0" : x < 0.01 ? `$${x.toFixed(4)}` : `$${x.toFixed(2)}`;

export function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function ago(at: number | null, now = Date.now()): string {
  if (at === null) return "–";
  return `${duration(Math.max(0, (now - at) / 1000))} ago`;
}

export const tokens = (n: number): string => (n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : String(n));

export const runHref = (id: string): string => `#/run/${encodeURIComponent(id)}`;

export const programHref = (runId: string, programId: string): string =>
  `#/run/${encodeURIComponent(runId)}/program/${encodeURIComponent(programId)}`;

/** A colour for a 0–100 score: dark blue (low) to yellow (high). */
export function scoreColor(s: number): string {
  const t = Math.max(0, Math.min(1, s / 100));
  const hue = 250 - 190 * t;
  return `hsl(${hue} 70% ${30 + 30 * t}%)`;
}

export const PALETTE = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#9333ea",
  "#ea580c",
  "#0891b2",
  "#ca8a04",
  "#db2777",
];
