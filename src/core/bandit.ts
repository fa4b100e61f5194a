/**
 * The cost-aware UCB bandit both the model ensemble (which model answers) and
 * the adaptive strategy (which island proposes) use: an arm's value is the
 * score its pulls gained per dollar they cost, normalised by the best active
 * arm's, plus an exploration bonus. No I/O, no randomness.
 */

/** What an arm has done so far, in any units as long as all arms share them. */
export interface Arm {
  /** Pulls settled. */
  pulls: number;
  /** Score gained over all pulls. */
  gain: number;
  /** Dollars spent over all pulls. */
  cost: number;
}

/**
 * Each arm's upper confidence bound: gain / cost normalised by the best
 * active arm's, + `exploration` · √(ln N / n) (N pulls of the active arms, n
 * this arm's). An untried active arm is +∞; an inactive one −∞. A pull is
 * charged at least `minCostPerPull`, so free pulls (a local model, the
 * tuner) keep a finite value, and arms whose pulls are all free are compared
 * by gain per pull.
 */
export function costAwareUcb(
  arms: readonly Arm[],
  exploration: number,
  minCostPerPull: number,
  active: readonly boolean[] = arms.map(() => true),
): number[] {
  const values = arms.map((a) => (a.pulls === 0 ? 0 : a.gain / Math.max(a.cost, a.pulls * minCostPerPull)));
  const top = Math.max(0, ...values.filter((_, i) => active[i]));
  const total = arms.reduce((n, a, i) => n + (active[i] ? a.pulls : 0), 0);
  return arms.map((a, i) => {
    if (!active[i]) return Number.NEGATIVE_INFINITY;
    if (a.pulls === 0) return Number.POSITIVE_INFINITY;
    return (top > 0 ? values[i]! / top : 0) + exploration * Math.sqrt(Math.log(Math.max(total, 1)) / a.pulls);
  });
}

/** The index of the highest value, the earliest on ties; −1 when every value is −∞. */
export function argmax(values: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) {
    if (values[i]! > Number.NEGATIVE_INFINITY && (best < 0 || values[i]! > values[best]!)) best = i;
  }
  return best;
}
