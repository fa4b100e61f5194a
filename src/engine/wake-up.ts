/**
 * How the run loop sleeps. Invariant: the loop sleeps only on a promise that
 * something will resolve: work it tracks ending (a proposal, a settlement),
 * `wake` (a stop, a freed evaluation slot, the time limit), or the pause's
 * poll; so it never waits while it could start work. A `wake` while the loop
 * is awake does nothing, so the loop must look at everything (stop, queue,
 * slots, budgets) after its last await and go to sleep with no await in
 * between (test/wake-up.test.ts; every engine test that finishes depends on it).
 */
export class WakeUp {
  private current: () => void = () => {};

  /** Ends the loop's sleep, if it sleeps. */
  wake(): void {
    this.current();
  }

  /**
   * Resolves when `wake` is called, when any of `work` ends (resolved or
   * rejected), or after `pollMs` if given.
   */
  sleep(work: Iterable<Promise<unknown>>, pollMs?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let poll: NodeJS.Timeout | undefined;
      const wake = () => {
        clearTimeout(poll);
        resolve();
      };
      this.current = wake;
      for (const p of work) p.then(wake, wake);
      if (pollMs !== undefined) poll = setTimeout(wake, pollMs);
    });
  }
}
