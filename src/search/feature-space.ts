import type { Program } from "../core/types.ts";

/** A dimension's running bounds; score's are fixed at 0–100, the others widen as values arrive. */
interface Range {
  min: number;
  max: number;
}

/**
 * The MAP-Elites feature space of the islands strategy: which numbers describe a program
 * (`score`, `codeLength`, or a metric), the range each has spanned so far, and the cell a
 * program falls in. Kept apart from the islands so the binning rule can be read (and changed)
 * without the population bookkeeping around it.
 */
export class FeatureSpace {
  private readonly ranges: Range[];

  constructor(
    private readonly dimensions: readonly string[],
    private readonly bins: number,
  ) {
    this.ranges = dimensions.map((d) =>
      d === "score" ? { min: 0, max: 100 } : { min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY },
    );
  }

  /** The program's value on each dimension, or null when a metric dimension is missing or not finite. */
  features(program: Program): number[] | null {
    const values: number[] = [];
    for (const dim of this.dimensions) {
      const v =
        dim === "score" ? program.score : dim === "codeLength" ? program.code.length : program.metrics[dim];
      // A program without the metric still joins its island, it just competes for no cell.
      if (typeof v !== "number" || !Number.isFinite(v)) return null;
      values.push(v);
    }
    return values;
  }

  /** Stretches the non-score ranges to cover `features`. */
  widen(features: number[]): void {
    this.dimensions.forEach((dim, i) => {
      if (dim === "score") return;
      const r = this.ranges[i] as Range;
      const v = features[i] as number;
      if (v < r.min) r.min = v;
      if (v > r.max) r.max = v;
    });
  }

  /** The cell coordinates of `features` under the ranges as they are now (a dimension with no spread bins to 0). */
  bin(features: number[]): number[] {
    const bins = this.bins;
    return features.map((v, i) => {
      const { min, max } = this.ranges[i] as Range;
      if (!(max > min)) return 0;
      const t = (Math.min(max, Math.max(min, v)) - min) / (max - min);
      return Math.min(bins - 1, Math.floor(t * bins));
    });
  }

  /** The ranges as `describe()` shows them: null bounds before any value was seen. */
  describeRanges(): { dimension: string; min: number | null; max: number | null }[] {
    return this.dimensions.map((dimension, i) => {
      const r = this.ranges[i] as Range;
      return {
        dimension,
        min: Number.isFinite(r.min) ? r.min : null,
        max: Number.isFinite(r.max) ? r.max : null,
      };
    });
  }
}

/** Distance between two cells: the largest difference on any one dimension. */
export function chebyshev(a: number[], b: number[]): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

/** Orders cells lexicographically by coordinate, for a stable `describe()`. */
export function compareCoords(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}
