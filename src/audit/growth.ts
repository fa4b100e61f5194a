/** How a measure grows with input size: the exponent of a power law fitted on log–log axes. */

export interface Point {
  size: number;
  value: number;
}

/**
 * The least-squares slope of log(value) against log(size): 1 for linear
 * growth, 2 for quadratic. Values are floored at `floor` (a measurement below
 * it is noise, not a shape). Null with fewer than two distinct sizes.
 */
export function growthExponent(points: readonly Point[], floor: number): number | null {
  const usable = points.filter((p) => p.size > 0 && Number.isFinite(p.value));
  const xs = usable.map((p) => Math.log(p.size));
  const ys = usable.map((p) => Math.log(Math.max(p.value, floor)));
  if (new Set(xs).size < 2) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = (xs[i] as number) - mx;
    num += dx * ((ys[i] as number) - my);
    den += dx * dx;
  }
  return num / den;
}
