/**
 * Score normalisation: every task maps its raw metric onto 0–100 with fixed
 * anchors (baseline = 0, target = 100), clamped.
 */
export interface Anchors {
  /** Raw value that scores 0. */
  baseline: number;
  /** Raw value that scores 100. */
  target: number;
}

export function normalise(raw: number, anchors: Anchors): number {
  if (!Number.isFinite(raw)) return 0;
  const span = anchors.target - anchors.baseline;
  if (span === 0) return raw === anchors.target ? 100 : 0;
  const s = ((raw - anchors.baseline) / span) * 100;
  return Math.min(100, Math.max(0, s));
}
