import { createStrategy, type Strategy } from "../search/index.ts";
import type { HistoryEntry } from "../store/store.ts";
import type { StrategyDescription } from "./payloads.ts";

/**
 * The run's strategy rebuilt the way resume rebuilds it (from the store's
 * history: settled candidates and the strategy's events, in stored order), so
 * the dashboard shows the strategy's own picture without the engine's process.
 */
export class StrategyPicture {
  private readonly strategy: Strategy | null = null;
  private error: string | null = null;
  /** The last stored seq the strategy has seen. */
  private seq = 0;
  private work: Promise<void> = Promise.resolve();
  private readonly name: string;

  constructor(config: unknown) {
    this.name = strategyName(config);
    try {
      const section = (config as { strategy?: Record<string, unknown> } | null)?.strategy ?? {};
      this.strategy = createStrategy(section);
    } catch (e) {
      this.error = `cannot rebuild the ${this.name} strategy: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  /**
   * Brings the strategy up to date the way resume does: every candidate
   * settled since the last catch-up is ingested and the strategy's own events
   * are replayed, in stored order (one catch-up at a time).
   */
  catchUp(history: (afterSeq: number) => Promise<HistoryEntry[]>): Promise<void> {
    const next = this.work.then(async () => {
      const strategy = this.strategy;
      if (!strategy || this.error) return;
      try {
        for (const entry of await history(this.seq)) {
          if ("settled" in entry) strategy.ingest(entry.settled);
          else if (entry.strategyEvent.strategy === strategy.name) {
            const { kind, data } = entry.strategyEvent;
            strategy.replay?.({ kind, data });
          }
          this.seq = entry.seq;
        }
      } catch (e) {
        this.error = `cannot rebuild the ${this.name} strategy: ${e instanceof Error ? e.message : String(e)}`;
      }
    });
    this.work = next.catch(() => {});
    return next;
  }

  describe(): StrategyDescription {
    return { strategy: this.name, description: this.strategy?.describe() ?? null, error: this.error };
  }
}

/** The strategy a run's config names; runs from before strategies had names are islands. */
export function strategyName(config: unknown): string {
  const section = (config as { strategy?: { kind?: unknown } } | null)?.strategy;
  return typeof section?.kind === "string" ? section.kind : "islands";
}
