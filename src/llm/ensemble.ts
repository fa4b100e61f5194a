import { argmax, costAwareUcb } from "../core/bandit.ts";
import type { Rng } from "../core/rng.ts";
import type { CallSeen } from "../core/types.ts";
import { isModelFault } from "./errors.ts";
import type { LlmClient } from "./client.ts";

export interface EnsembleMember {
  client: LlmClient;
  /**
   * Relative share of proposals; members with weight ≤ 0 are never picked.
   * Under the bandit policy, the share of the exploration floor.
   */
  weight: number;
  temperature?: number;
  maxTokens?: number;
}

/**
 * How the ensemble picks a model per proposal:
 * - `weighted`: in proportion to the fixed weights (as OpenEvolve).
 * - `bandit`: UCB over the score each model's children gained per dollar
 *   (as ShinkaEvolve), with a floor share by weight so no model starves.
 */
export type EnsemblePolicy = "weighted" | "bandit";

export interface EnsembleOptions {
  policy?: EnsemblePolicy;
  /** Bandit: the UCB exploration coefficient on normalised value. Default 1. */
  exploration?: number;
  /** Bandit: share of picks spread over all models by weight, whatever their value. Default 0.1. */
  floor?: number;
  /** A model whose calls fail this many times in a row is rested. Default 3; 0 never rests. */
  restAfterFailures?: number;
  /** How many iterations a rested model sits out. Default 10. */
  restIterations?: number;
  /** Told when a model is rested, or when every model is and rests are ignored. */
  onWarning?: (message: string) => void;
}

export const ENSEMBLE_DEFAULTS = {
  policy: "weighted",
  exploration: 1,
  floor: 0.1,
  restAfterFailures: 3,
  restIterations: 10,
} as const;

/**
 * Bandit sums are kept in integers (micro-points of score, nano-dollars), so
 * they do not depend on the order outcomes arrive in: a resumed run that
 * rebuilds them from the store in another order picks exactly as the run did.
 */
const POINT_UNITS = 1e6;
const DOLLAR_UNITS = 1e9;
/** Free models (local servers) are charged this much per proposal, so that value per dollar stays finite. */
const MIN_NANO_DOLLARS_PER_PULL = 1000;

interface MemberStats {
  /** Proposals settled (evaluated or rejected). */
  pulls: number;
  /** Sum over settled children of max(0, child score − parent score), in micro-points. */
  gain: number;
  /** Dollars spent on the model's calls, in nano-dollars. */
  cost: number;
  /** Failed calls in a row. */
  failures: number;
  /** Not picked before this iteration. */
  restedUntil: number;
}

/** A statistic of one member, for status and the dashboard. */
export interface MemberReport {
  model: string;
  weight: number;
  pulls: number;
  /** Score points gained per dollar (Infinity before any spend). */
  gainPerUsd: number;
  costUsd: number;
  restedUntil: number | null;
}

/** Several models, one of which is drawn per proposal by the ensemble's policy. */
export class Ensemble {
  /** The members that can be picked (weight > 0), in the order given. */
  readonly members: readonly EnsembleMember[];
  readonly policy: EnsemblePolicy;
  private readonly options: Required<Omit<EnsembleOptions, "onWarning">>;
  private readonly onWarning: (message: string) => void;
  private readonly stats: MemberStats[];
  private readonly index = new Map<string, number>();

  constructor(members: readonly EnsembleMember[], options: EnsembleOptions = {}) {
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
    this.policy = options.policy ?? ENSEMBLE_DEFAULTS.policy;
    this.options = {
      policy: this.policy,
      exploration: options.exploration ?? ENSEMBLE_DEFAULTS.exploration,
      floor: options.floor ?? ENSEMBLE_DEFAULTS.floor,
      restAfterFailures: options.restAfterFailures ?? ENSEMBLE_DEFAULTS.restAfterFailures,
      restIterations: options.restIterations ?? ENSEMBLE_DEFAULTS.restIterations,
    };
    this.onWarning = options.onWarning ?? (() => {});
    this.stats = this.members.map(() => ({ pulls: 0, gain: 0, cost: 0, failures: 0, restedUntil: 0 }));
    // Two members may share a model spec (e.g. at two temperatures); outcomes name the spec, so the first one learns.
    this.members.forEach((m, i) => {
      if (!this.index.has(m.client.model)) this.index.set(m.client.model, i);
    });
  }

  /**
   * Draws one member for `iteration`. Always consumes exactly one
   * `rng.next()`, whatever the policy and the number of members, so the
   * engine's RNG stream (stored for resume) does not depend on how the
   * ensemble is configured.
   */
  pick(rng: Rng, iteration = 0): EnsembleMember {
    const p = this.probabilities(iteration);
    let r = rng.next();
    for (let i = 0; i < p.length; i++) {
      r -= p[i]!;
      if (r < 0 && p[i]! > 0) return this.members[i]!;
    }
    // Floating-point rounding can leave r at a hair above 0 after the last member.
    for (let i = p.length - 1; i >= 0; i--) if (p[i]! > 0) return this.members[i]!;
    return this.members[this.members.length - 1]!;
  }

  /** Each member's probability of being picked at `iteration`. */
  probabilities(iteration = 0): number[] {
    let active = this.members.map((_, i) => this.stats[i]!.restedUntil <= iteration);
    // With every model resting, resting helps nobody: all take part.
    if (!active.some(Boolean)) active = active.map(() => true);
    const weights = this.members.map((m, i) => (active[i] ? m.weight : 0));
    const total = weights.reduce((a, b) => a + b, 0);
    const byWeight = weights.map((w) => w / total);
    if (this.policy === "weighted") return byWeight;
    const best = this.bestByUcb(active);
    const floor = this.options.floor;
    return byWeight.map((w, i) => floor * w + (i === best ? 1 - floor : 0));
  }

  /**
   * The member with the highest upper confidence bound on its value (score
   * gained per dollar, normalised by the best member's); an untried member
   * first; ties to the earlier member.
   */
  private bestByUcb(active: boolean[]): number {
    return argmax(costAwareUcb(this.stats, this.options.exploration, MIN_NANO_DOLLARS_PER_PULL, active));
  }

  /**
   * One attempt of a model call ended (any role): its cost counts against the
   * model's value, and a run of calls that ended in failure (the attempts a
   * call retried do not count) rests it. `iteration` is the iteration the
   * call served; the rest lasts from there.
   */
  observeCall(
    call: CallSeen,
    /** False while rebuilding from the store on resume: rests long over need no warning. */
    warn = true,
  ): void {
    const i = this.index.get(call.model);
    if (i === undefined) return;
    const s = this.stats[i]!;
    s.cost += Math.round(call.usage.costUsd * DOLLAR_UNITS);
    if (call.retried) return;
    if (!isModelFault(call.outcome)) {
      s.failures = 0;
      return;
    }
    s.failures++;
    const limit = this.options.restAfterFailures;
    if (limit > 0 && s.failures >= limit && this.members.length > 1) {
      s.failures = 0;
      s.restedUntil = (call.iteration ?? 0) + 1 + this.options.restIterations;
      if (warn)
        this.onWarning(
          `${call.model} failed ${limit} calls in a row${call.error ? ` (last: ${call.error})` : ""}; ` +
            `resting it until iteration ${s.restedUntil}, its share goes to the other models`,
        );
    }
  }

  /** A proposal by `model` settled: `gain` is max(0, child − parent score), 0 for a rejected or failed child. */
  observeOutcome(outcome: { model: string; gain: number }): void {
    const i = this.index.get(outcome.model);
    if (i === undefined) return;
    const s = this.stats[i]!;
    s.pulls++;
    s.gain += Math.round(Math.max(0, outcome.gain) * POINT_UNITS);
  }

  report(iteration = 0): MemberReport[] {
    return this.members.map((m, i) => {
      const s = this.stats[i]!;
      return {
        model: m.client.model,
        weight: m.weight,
        pulls: s.pulls,
        gainPerUsd: s.cost > 0 ? s.gain / POINT_UNITS / (s.cost / DOLLAR_UNITS) : Number.POSITIVE_INFINITY,
        costUsd: s.cost / DOLLAR_UNITS,
        restedUntil: s.restedUntil > iteration ? s.restedUntil : null,
      };
    });
  }
}
