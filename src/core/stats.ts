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

/** Mean and sample standard deviation (n − 1; 0 for one value) of n values; null mean when there are none. */
export interface MeanSd {
  mean: number | null;
  sd: number | null;
  n: number;
}

export function meanSd(values: readonly number[]): MeanSd {
  const n = values.length;
  if (n === 0) return { mean: null, sd: null, n };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n };
}
