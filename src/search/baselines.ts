/**
 * Two baselines as strategies: `best-of-n` (repeated sampling: every child is
 * proposed from the seed) and `hill-climb` (every child from the best program
 * so far). With the LLM-free tuner as proposer they are random search and a
 * (1+1) evolution strategy: offline reference points for any other search.
 */
import { z } from "zod";
import type { Rng } from "../core/rng.ts";
import type { Program, Settled } from "../core/types.ts";
import { parseOptions } from "./options.ts";
import type { Selection, Strategy, StrategyEvent } from "./strategy.ts";

const inspirations = z.number().int().min(0).default(0);

export const bestOfNConfig = z.strictObject({
  kind: z.literal("best-of-n"),
  /** Best programs shown beside the parent (0: every sample independent of the others). */
  inspirations,
});

export const hillClimbConfig = z.strictObject({
  kind: z.literal("hill-climb"),
  /** Best programs other than the parent shown beside it. */
  inspirations,
});

export type BaselineOptions = { inspirations: number };

/** The programs a baseline keeps: the seed and the best few, ranked (ties: the earlier first). */
abstract class Baseline implements Strategy {
  abstract readonly name: string;
  readonly options: Readonly<BaselineOptions>;
  protected seed: Program | undefined;
  /** The best `inspirations + 1` programs, best first. */
  protected top: Program[] = [];
  private count = 0;
  private readonly seen = new Set<string>();

  constructor(options: BaselineOptions) {
    this.options = Object.freeze({ ...options });
  }

  protected abstract parent(): Program;

  select(_rng: Rng): Selection {
    if (!this.seed)
      throw new Error(`${this.name}.select: the population is empty; ingest the seed program first`);
    const parent = this.parent();
    const inspirations = this.top.filter((p) => p.id !== parent.id).slice(0, this.options.inspirations);
    return { parent, inspirations, tag: "" };
  }

  ingest(settled: Settled): StrategyEvent[] {
    if (settled.status !== "ok" || this.seen.has(settled.program.id)) return [];
    const program = settled.program;
    this.seen.add(program.id);
    this.count++;
    if (!program.parentId) this.seed ??= program;
    const at = this.top.findIndex((p) => program.score > p.score);
    this.top.splice(at < 0 ? this.top.length : at, 0, program);
    this.top.length = Math.min(this.top.length, this.options.inspirations + 1);
    return [];
  }

  best(): Program | undefined {
    return this.top[0];
  }

  size(): number {
    return this.count;
  }

  describe() {
    const best = this.best();
    return {
      name: this.name,
      size: this.count,
      seed: this.seed ? { id: this.seed.id, score: this.seed.score } : null,
      best: best ? { id: best.id, score: best.score } : null,
    };
  }
}

/** Every child from the seed: independent samples, the best one kept. */
export class BestOfNStrategy extends Baseline {
  readonly name = "best-of-n";

  constructor(options: Partial<BaselineOptions> = {}) {
    super(parseOptions(bestOfNConfig, "best-of-n", options));
  }

  protected parent(): Program {
    return this.seed as Program;
  }
}

/** Every child from the best program so far; a child replaces it only with a strictly higher score. */
export class HillClimbStrategy extends Baseline {
  readonly name = "hill-climb";

  constructor(options: Partial<BaselineOptions> = {}) {
    super(parseOptions(hillClimbConfig, "hill-climb", options));
  }

  protected parent(): Program {
    return this.top[0] as Program;
  }
}
