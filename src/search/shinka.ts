/**
 * `shinka`, after ShinkaEvolve (SakanaAI): islands whose parents are drawn by
 * a weighted sigmoid of the score times 1/(1 + children), by power-law rank,
 * or greedily; children too alike a program of their island turned away
 * before their evaluation (novelty rejection, through `screen`), and those
 * nearly as alike sent to a novelty judge model when one is asked for; crossover
 * of two parents shown to the model; and a new island, started from the best
 * program or the seed, when every island has stagnated.
 *
 * Everything but the selection is decided in `ingest` (deterministic) or in
 * `screen` (stored as the candidate's screening), so resume rebuilds it.
 */
import { z } from "zod";
import type { Rng } from "../core/rng.ts";
import type { Candidate, Program, Settled } from "../core/types.ts";
import { jaccard, shingles } from "./novelty.ts";
import { judgePrompt, parseVerdict } from "./novelty-judge.ts";
import { parseOptions } from "./options.ts";
import type {
  Directive,
  ScreenTools,
  ScreenVerdict,
  Selection,
  Strategy,
  StrategyEvent,
} from "./strategy.ts";

export const shinkaConfig = z.strictObject({
  kind: z.literal("shinka"),
  /** Islands at the start (the seed is on each). */
  islands: z.number().int().min(1).default(2),
  /** How a parent is drawn from its island. */
  parentSelection: z.enum(["weighted", "power-law", "hill-climb"]).default("weighted"),
  /** weighted: steepness of the sigmoid over (score − island median) / island score range. */
  sharpness: z.number().positive().default(10),
  /** power-law: a program of rank r (1 = best) is drawn with weight r^−powerLaw. */
  powerLaw: z.number().min(0).default(1),
  /** Best programs of the island shown beside the parent. */
  inspirations: z.number().int().min(0).default(2),
  /** Share of children made by crossover: a second parent from the same island shown to the model. */
  crossoverRate: z.number().min(0).max(1).default(0.1),
  /** A child whose EVOLVE-BLOCK shingles are at least this similar (Jaccard) to a program of its island is rejected. */
  novelty: z.number().gt(0).max(1).default(0.99),
  /**
   * A child at least this similar, but below `novelty`, is shown with that
   * program to a model of role `novelty`, whose verdict decides; absent: no judge.
   */
  noveltyJudgeFrom: z.number().gt(0).max(1).optional(),
  /** Settled children of an island without a new island best after which it has stagnated. */
  stagnation: z.number().int().min(1).default(20),
  /** Where a new island starts when every island has stagnated. */
  spawnFrom: z.enum(["best", "seed"]).default("best"),
  /** No island is spawned beyond this many. */
  maxIslands: z.number().int().min(1).default(6),
  /** Settled children between two meta-recommendations (a `meta` model call on recent results); 0: none. */
  metaInterval: z.number().int().min(0).default(10),
}).refine((o) => o.noveltyJudgeFrom === undefined || o.noveltyJudgeFrom < o.novelty, {
  path: ["noveltyJudgeFrom"],
  message:
    "must be below strategy.novelty: the judge decides about children less alike than those rejected outright",
});

export type ShinkaOptions = Omit<z.output<typeof shinkaConfig>, "kind">;

interface Island {
  programs: Program[];
  best: Program;
  /** Settled children since the island's best last improved. */
  since: number;
}

/** Settled children a meta prompt describes. */
const RECENT_RESULTS = 12;

const CROSSOVER_NOTE =
  "Two parents are shown: the current program and a second one from the same population. " +
  "Combine the ideas that make each of them score well into one program; say which idea comes from which.";

export class ShinkaStrategy implements Strategy {
  readonly name = "shinka";
  readonly options: Readonly<ShinkaOptions>;
  private readonly islands: Island[] = [];
  private readonly children = new Map<string, number>();
  private readonly seen = new Set<string>();
  private readonly shingleCache = new Map<string, Set<string>>();
  private seed: Program | undefined;
  private top: Program | undefined;
  private spawned = 0;
  private rejected = 0;
  /** Settled children (not the seed), what the latest few did, meta calls asked for, and the latest insights. */
  private settledChildren = 0;
  private recentResults: string[] = [];
  private metaAsked = 0;
  private insights: string | null = null;

  constructor(options: Partial<ShinkaOptions> = {}) {
    this.options = Object.freeze(parseOptions(shinkaConfig, "shinka", options));
  }

  select(rng: Rng): Selection {
    if (this.islands.length === 0)
      throw new Error("shinka.select: the population is empty; ingest the seed program first");
    const index = rng.int(this.islands.length);
    const island = this.islands[index]!;
    const parent = this.draw(island.programs, rng);
    const inspirations = [...island.programs]
      .sort(byScore)
      .filter((p) => p.id !== parent.id)
      .slice(0, this.options.inspirations);
    const tag = String(index);
    const events: StrategyEvent[] = [];
    const directive: Directive = {};
    // The coin is always drawn, so the stream does not depend on the island's size.
    const coin = rng.next();
    const others = island.programs.filter((p) => p.id !== parent.id);
    let shown = inspirations;
    if (coin < this.options.crossoverRate && others.length > 0) {
      const secondParent = this.draw(others, rng);
      shown = inspirations.filter((p) => p.id !== secondParent.id);
      directive.operation = "crossover";
      directive.secondParent = secondParent;
      directive.sections = [{ title: "Crossover", body: CROSSOVER_NOTE }];
    }
    const { metaInterval } = this.options;
    if (metaInterval > 0 && Math.floor(this.settledChildren / metaInterval) > this.metaAsked) {
      // Counted, not reset, so that resume replays it in any order among the ingests.
      this.metaAsked++;
      events.push({ kind: "meta_requested", data: { after: this.settledChildren } });
      directive.prepare = {
        role: "meta",
        kind: "meta_insights",
        title: "Insights from recent generations",
        prompt: this.metaPrompt(),
      };
    } else if (this.insights) {
      directive.sections = [
        ...(directive.sections ?? []),
        { title: "Insights from earlier generations", body: this.insights },
      ];
    }
    return {
      parent,
      inspirations: shown,
      tag,
      ...(Object.keys(directive).length > 0 ? { directive } : {}),
      ...(events.length > 0 ? { events } : {}),
    };
  }

  private metaPrompt(): string {
    return [
      "You advise a program search. These are its most recent children, newest last",
      "(score change over the parent, or why the child failed):",
      "",
      ...this.recentResults.map((r) => `- ${r}`),
      "",
      this.insights ? `Your previous insights were:\n${this.insights}\n` : "",
      "Write at most five short insights for the next generations: what kinds of change helped, what kinds",
      "failed or made things worse and should not be tried again, and what to try next. Plain text, one per line.",
    ].join("\n");
  }

  replay(event: StrategyEvent): void {
    if (event.kind === "meta_requested") this.metaAsked++;
    else if (event.kind === "meta_insights") this.insights = (event.data as { text: string }).text;
  }

  /** A parent from `programs` by the configured rule. */
  private draw(programs: readonly Program[], rng: Rng): Program {
    const ranked = [...programs].sort(byScore);
    if (this.options.parentSelection === "hill-climb" || ranked.length === 1) return ranked[0]!;
    let weights: number[];
    if (this.options.parentSelection === "power-law") {
      weights = ranked.map((_, r) => (r + 1) ** -this.options.powerLaw);
    } else {
      const scores = ranked.map((p) => p.score);
      const median = scores[Math.floor(scores.length / 2)]!;
      const range = Math.max(1e-9, scores[0]! - scores.at(-1)!);
      weights = ranked.map(
        (p) =>
          (1 / (1 + Math.exp((-this.options.sharpness * (p.score - median)) / range))) *
          (1 / (1 + (this.children.get(p.id) ?? 0))),
      );
    }
    const total = weights.reduce((s, w) => s + w, 0);
    let x = rng.next() * total;
    for (let i = 0; i < ranked.length; i++) {
      x -= weights[i]!;
      if (x < 0) return ranked[i]!;
    }
    return ranked.at(-1)!;
  }

  ingest(settled: Settled): StrategyEvent[] {
    const { candidate } = settled;
    const isSeed = candidate.iteration === 0;
    if (!isSeed) {
      this.children.set(candidate.parentId, (this.children.get(candidate.parentId) ?? 0) + 1);
      this.settledChildren++;
      this.recentResults = [...this.recentResults, this.resultOf(settled)].slice(-RECENT_RESULTS);
    }
    if (settled.status === "screened" && settled.reason.startsWith("too similar")) this.rejected++;
    const events: StrategyEvent[] = [];
    if (settled.status === "ok" && !this.seen.has(settled.program.id)) {
      const program = settled.program;
      this.seen.add(program.id);
      if (!this.top || program.score > this.top.score) this.top = program;
      if (isSeed) {
        this.seed ??= program;
        while (this.islands.length < this.options.islands)
          this.islands.push({ programs: [program], best: program, since: 0 });
        return [];
      }
      const island = this.islands[this.islandOf(candidate.tag)]!;
      island.programs.push(program);
      if (program.score > island.best.score) {
        island.best = program;
        island.since = 0;
        return [];
      }
    }
    if (isSeed) return [];
    const island = this.islands[this.islandOf(candidate.tag)];
    if (!island) return [];
    island.since++;
    if (
      this.islands.every((i) => i.since >= this.options.stagnation) &&
      this.islands.length < this.options.maxIslands
    ) {
      const from = this.options.spawnFrom === "seed" ? this.seed! : this.top!;
      this.islands.push({ programs: [from], best: from, since: 0 });
      this.spawned++;
      events.push({
        kind: "island_spawned",
        data: {
          island: this.islands.length - 1,
          from: from.id,
          reason: `every island went ${this.options.stagnation} children without a new best`,
        },
      });
    }
    return events;
  }

  /**
   * Novelty rejection: a child whose evolved code is as alike as `novelty`
   * (Jaccard over token shingles) to a program of its island is not
   * evaluated; one at least `noveltyJudgeFrom` alike goes to the judge.
   */
  async screen(candidate: Candidate, tools?: ScreenTools): Promise<ScreenVerdict> {
    const island = this.islands[this.islandOf(candidate.tag)];
    if (!island) return { pass: true };
    const mine = shingles(candidate.code);
    let closest: { program: Program; similarity: number } | null = null;
    for (const p of island.programs) {
      const similarity = jaccard(mine, this.shinglesOf(p));
      if (!closest || similarity > closest.similarity) closest = { program: p, similarity };
    }
    if (!closest) return { pass: true };
    const { novelty, noveltyJudgeFrom } = this.options;
    const { program, similarity } = closest;
    if (similarity >= novelty) {
      return {
        pass: false,
        reason: `too similar to ${program.id} (Jaccard ${similarity.toFixed(3)} ≥ ${novelty})`,
        events: [
          {
            kind: "novelty_rejected",
            data: { candidate: candidate.id, similarTo: program.id, similarity },
          },
        ],
      };
    }
    // Without a model (the tuner) there is no judge: the band passes, as it would with no band.
    if (noveltyJudgeFrom === undefined || similarity < noveltyJudgeFrom || !tools?.ask) return { pass: true };
    return this.judge(candidate, program, similarity, tools.ask);
  }

  /**
   * Asks the `novelty` model whether the candidate is meaningfully different
   * from `other`. Only a clear "same" rejects it; an unreadable reply or a
   * failed call leaves it to be evaluated, as without a judge, and says so
   * in the `novelty_judged` event.
   */
  private async judge(
    candidate: Candidate,
    other: Program,
    similarity: number,
    ask: NonNullable<ScreenTools["ask"]>,
  ): Promise<ScreenVerdict> {
    const answer = await ask("novelty", judgePrompt(candidate, other, similarity));
    const judged =
      "error" in answer
        ? { verdict: "failed", reason: `the novelty model could not be asked: ${answer.error}` }
        : parseVerdict(answer.text);
    const events: StrategyEvent[] = [
      {
        kind: "novelty_judged",
        data: {
          candidate: candidate.id,
          similarTo: other.id,
          similarity,
          verdict: judged.verdict,
          reason: judged.reason,
          model: answer.model,
        },
      },
    ];
    if (judged.verdict !== "same") return { pass: true, events };
    return {
      pass: false,
      reason:
        `too similar to ${other.id}: judged not meaningfully different by ${answer.model} ` +
        `(Jaccard ${similarity.toFixed(3)}): ${judged.reason}`,
      events,
    };
  }

  /** One line on a settled child, for the meta prompt. */
  private resultOf(settled: Settled): string {
    const c = settled.candidate;
    const parent = this.programById(c.parentId);
    if (settled.status === "ok") {
      const change = parent ? settled.program.score - parent.score : 0;
      return `${c.id} from ${c.parentId}: score ${settled.program.score.toFixed(2)} (${change >= 0 ? "+" : ""}${change.toFixed(2)})`;
    }
    const why =
      settled.status === "failed" ? (settled.evaluation.error ?? settled.evaluation.status) : settled.reason;
    return `${c.id} from ${c.parentId}: ${settled.status}: ${why.split("\n")[0]!.slice(0, 160)}`;
  }

  private programById(id: string): Program | undefined {
    for (const island of this.islands) {
      const p = island.programs.find((x) => x.id === id);
      if (p) return p;
    }
    return undefined;
  }

  private shinglesOf(p: Program): Set<string> {
    let s = this.shingleCache.get(p.id);
    if (!s) {
      s = shingles(p.code);
      this.shingleCache.set(p.id, s);
    }
    return s;
  }

  private islandOf(tag: string): number {
    const n = Number(tag);
    return Number.isInteger(n) && n >= 0 && n < this.islands.length ? n : 0;
  }

  best(): Program | undefined {
    return this.top;
  }

  size(): number {
    return this.seen.size;
  }

  describe() {
    return {
      name: this.name,
      size: this.seen.size,
      best: this.top ? { id: this.top.id, score: this.top.score } : null,
      seed: this.seed ? { id: this.seed.id, score: this.seed.score } : null,
      islands: this.islands.map((i, index) => ({
        island: index,
        size: i.programs.length,
        best: { id: i.best.id, score: i.best.score },
        stagnant: i.since,
      })),
      spawned: this.spawned,
      noveltyRejected: this.rejected,
      insights: this.insights,
    };
  }
}

function byScore(a: Program, b: Program): number {
  return b.score - a.score;
}
