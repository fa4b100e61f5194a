/**
 * The iterations selected and not yet settled (evaluated, rejected or
 * screened): the selection window of the ordered mode.
 *
 * Invariant: it holds exactly those iterations, the seed's and a resumed
 * run's pending ones included; the ordered mode selects iteration k only once
 * `settledThrough(k − proposals)`. This bounds how far proposals run ahead of
 * evaluations, and makes what the strategy has seen at each selection
 * independent of timing when one proposal is in flight, so such runs are
 * reproducible (test/engine-loop.test.ts, "selection window").
 */
export class Unsettled {
  private readonly open = new Set<number>();

  selected(iteration: number): void {
    this.open.add(iteration);
  }

  /** Settled, or dropped with nothing of it stored (a resumed run selects it again). */
  delete(iteration: number): void {
    this.open.delete(iteration);
  }

  /** Whether every iteration up to `iteration` has settled. */
  settledThrough(iteration: number): boolean {
    for (const k of this.open) if (k <= iteration) return false;
    return true;
  }
}
