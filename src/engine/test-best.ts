import type { RunEvent } from "../core/events.ts";
import type { Evaluation, Program } from "../core/types.ts";

/**
 * The test evaluation of the best program on the held-out split (never shown
 * to the search).
 *
 * Invariant: the best is tested one test at a time, and a best that changed
 * during a test is tested as soon as that test ends (the chain in `test`), not
 * at the next settle, which may never come; `latest` (a normal stop) waits for
 * the latest best's test (test/engine-invariants.test.ts).
 */
export class BestTest {
  /** The program whose test was started last (or stored, on resume). */
  private testedId: string | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly best: () => Program | undefined,
    private readonly evaluate: (program: Program) => Promise<Evaluation>,
    private readonly write: (events: RunEvent[]) => Promise<void>,
    /** The model calls charged to a program (a task's calls made by its test), stored with its test. */
    private readonly calls: (programId: string) => RunEvent[] = () => [],
  ) {}

  /** On resume: the best whose test score is stored already. */
  alreadyTested(programId: string | null): void {
    this.testedId = programId;
  }

  /** Tests the best unless it is tested or being tested; resolves once the latest best has a test evaluation. */
  test(): Promise<void> {
    if (this.running) return this.running;
    const best = this.best();
    if (!best || best.id === this.testedId) return Promise.resolve();
    this.testedId = best.id;
    const running = (async () => {
      const evaluation = await this.evaluate(best);
      await this.write([...this.calls(best.id), { type: "test_evaluated", programId: best.id, evaluation }]);
    })().finally(() => {
      this.running = null;
    });
    this.running = running;
    return running.then(() => this.test());
  }

  /** Waits until the latest best has its test evaluation, chained re-tests included. */
  async latest(): Promise<void> {
    for (;;) {
      await this.test();
      if (this.running) await this.running;
      const best = this.best();
      if (!this.running && (!best || best.id === this.testedId)) return;
    }
  }
}
