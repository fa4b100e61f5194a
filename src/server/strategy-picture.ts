import type { Program } from "../core/types.ts";
import { createStrategy, type Strategy } from "../search/index.ts";
import type { StrategyDescription } from "./payloads.ts";

/**
 * The run's strategy rebuilt the way resume rebuilds it (ingest is
 * deterministic, and the stored order is the ingest order), so the dashboard
 * shows the strategy's own picture without the engine's process.
 */
export class StrategyPicture {
  private readonly strategy: Strategy | null = null;
  private readonly error: string | null = null;
  private ingested = 0;
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

  /** Ingests the programs of `order` not ingested yet (one catch-up at a time). */
  catchUp(order: readonly string[], fetch: (ids: string[]) => Promise<Program[]>): Promise<void> {
    const next = this.work.then(async () => {
      if (!this.strategy || order.length <= this.ingested) return;
      const ids = order.slice(this.ingested);
      const byId = new Map((await fetch(ids)).map((p) => [p.id, p]));
      for (const id of ids) {
        const program = byId.get(id);
        if (program) this.strategy.ingest(program);
      }
      this.ingested += ids.length;
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
