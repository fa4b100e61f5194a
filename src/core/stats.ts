/** Small summaries of repeated measurements. No I/O here. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The median of repeated measurements and how far apart they lie (spread = max − min). */
export interface Spread {
  median: number;
  min: number;
  max: number;
  spread: number;
}

export function spread(values: readonly number[]): Spread {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { median: median(values), min, max, spread: max - min };
}
