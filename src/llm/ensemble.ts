import type { Rng } from "../core/rng.ts";
import type { LlmClient } from "./client.ts";

export interface EnsembleMember {
  client: LlmClient;
  /** Relative share of proposals; members with weight ≤ 0 are never picked. */
  weight: number;
  temperature?: number;
  maxTokens?: number;
}

/** Several models, one of which is drawn per proposal in proportion to its weight. */
export class Ensemble {
  /** The members that can be picked (weight > 0), in the order given. */
  readonly members: readonly EnsembleMember[];
  private readonly total: number;

  constructor(members: readonly EnsembleMember[]) {
    for (const m of members) {
      if (!Number.isFinite(m.weight)) {
        throw new Error(
          `ensemble: model "${m.client.model}" has weight ${m.weight}; expected a finite number`,
        );
      }
    }
    this.members = members.filter((m) => m.weight > 0);
    if (this.members.length === 0) {
      throw new Error(
        members.length === 0
          ? "ensemble: no models configured"
          : "ensemble: every model has weight ≤ 0, so none can be picked",
      );
    }
    this.total = this.members.reduce((sum, m) => sum + m.weight, 0);
  }

  /**
   * Draws one member. Always consumes exactly one `rng.next()`, whatever the
   * number of members, so the engine's RNG stream (stored for resume) does not
   * depend on how the ensemble is configured.
   */
  pick(rng: Rng): EnsembleMember {
    let r = rng.next() * this.total;
    for (const m of this.members) {
      r -= m.weight;
      if (r < 0) return m;
    }
    // Floating-point rounding can leave r at a hair above 0 after the last member.
    return this.members[this.members.length - 1]!;
  }

  /** Each member's normalised probability of being picked. */
  probabilities(): number[] {
    return this.members.map((m) => m.weight / this.total);
  }
}
