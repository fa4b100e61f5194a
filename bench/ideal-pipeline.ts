/**
 * The bound of a pipeline bench run, for the draws it made. The model times
 * of a run are a sample of a long-tailed distribution (120 log-normal draws
 * with σ = 1 have a mean within about ±12 % of the distribution's), and the
 * steady part of the run holds only some of them, so min(proposals / mean
 * model time, evaluations / mean evaluation time) over all draws can sit
 * well above or below what any pipeline could reach with those draws. The
 * bound here is the steady throughput of an ideal pipeline given the same
 * draws in the same order: every place refilled the instant its reply comes,
 * no time between a reply and its evaluation, evaluations in first-come order
 * on the same number of slots with the run's own evaluation times, measured
 * by the same window.
 */

/** Candidates per second between the 10th and the 90th percentile of the settle times (fill and drain left out). */
export function steadyRate(settledAt: readonly number[]): { rate: number; from: number; to: number } {
  const sorted = [...settledAt].sort((a, b) => a - b);
  const lo = Math.floor(sorted.length * 0.1);
  const hi = Math.floor(sorted.length * 0.9);
  const from = sorted[lo] as number;
  const to = sorted[hi] as number;
  return { rate: ((hi - lo) / (to - from)) * 1000, from, to };
}

/**
 * The settle times (ms from the first request) of an ideal pipeline: `proposals`
 * places, request i answered after delays[i], each place asking again at
 * once, and the i-th reply evaluated for evaluationMs[i % length] on the
 * first of `evaluations` slots to free.
 */
export function idealSettleTimes(
  proposals: number,
  delays: readonly number[],
  evaluationMs: readonly number[],
  evaluations: number,
): number[] {
  const places = Array.from({ length: proposals }, () => 0);
  const replies = delays.map((d) => {
    const k = places.indexOf(Math.min(...places));
    places[k] = (places[k] as number) + d;
    return places[k] as number;
  });
  replies.sort((a, b) => a - b);
  const slots = Array.from({ length: evaluations }, () => 0);
  return replies.map((r, i) => {
    const k = slots.indexOf(Math.min(...slots));
    slots[k] = Math.max(r, slots[k] as number) + (evaluationMs[i % evaluationMs.length] as number);
    return slots[k] as number;
  });
}
