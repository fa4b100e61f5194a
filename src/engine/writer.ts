import type { RunEvent } from "../core/events.ts";
import type { ProposalOutcome, Store } from "../store/store.ts";
import type { ProposalObserver } from "./parts.ts";

/**
 * The run's single writer to the store: appends happen one at a time, in call
 * order. Learners hear of model calls and of a settled proposal (`outcome`)
 * once stored, in store order, exactly as a resumed run replays them; then
 * `onEvent` hears of every event.
 */
export class Writer {
  private writing: Promise<void> = Promise.resolve();
  /** When the last write was asked for, on the run's clock. */
  private lastWriteAt = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: () => number,
    private readonly observer: ProposalObserver | undefined,
    private readonly onEvent: ((event: RunEvent) => void) | undefined,
  ) {}

  write(events: RunEvent[], outcome?: ProposalOutcome): Promise<void> {
    this.lastWriteAt = this.clock();
    const next = this.writing.then(async () => {
      await this.store.append(events);
      for (const e of events) {
        if (e.type === "model_called") this.observer?.onModelCall(e, true);
      }
      if (outcome) this.observer?.onOutcome(outcome, true);
      for (const e of events) this.onEvent?.(e);
    });
    // A failed write fails its caller; the writes after it still go on.
    this.writing = next.catch(() => {});
    return next;
  }

  /** Resolves once every write asked for so far has ended. */
  idle(): Promise<void> {
    return this.writing;
  }

  /**
   * Stores a heartbeat whenever nothing was stored for `ms` (on the clock), so
   * a kill loses at most that much active time. Returns what stops it.
   */
  heartbeat(ms: number, onError: (e: unknown) => void): () => void {
    const timer = setInterval(() => {
      if (this.clock() - this.lastWriteAt < ms) return;
      this.write([{ type: "heartbeat" }]).catch(onError);
    }, ms);
    timer.unref();
    return () => clearInterval(timer);
  }
}
