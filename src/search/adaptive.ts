/**
 * `adaptive`: a search that steers itself by how the run is going. Proposals
 * go to the island with the highest upper confidence bound on its
 * improvement per dollar (a cost-aware UCB bandit); exploration intensity (the
 * temperature, diff or full rewrite, how many inspirations, the best or any
 * parent) rises when recent children stop improving and falls while they
 * improve; and after `paradigmAfter` settled children without a new best, one
 * "paradigm shift": a full rewrite of the best program by the `paradigm`
 * model, asked for a different algorithmic idea and told the ideas tried.
 *
 * Every decision is a strategy event with its reason. The bandit and the
 * stall counts are rebuilt by `ingest`; what `select` decided (a paradigm
 * shift issued, an intensity change) is replayed from its events.
 */
import { z } from "zod";
import { argmax, costAwareUcb } from "../core/bandit.ts";
import type { Rng } from "../core/rng.ts";
import type { Program, Settled } from "../core/types.ts";
import { diffLines } from "./edits.ts";
import { parseOptions } from "./options.ts";
import type { Selection, Strategy, StrategyEvent } from "./strategy.ts";

export const adaptiveConfig = z.strictObject({
  kind: z.literal("adaptive"),
  /** Sub-populations the bandit allocates proposals among (the seed starts each). */
  islands: z.number().int().min(1).default(3),
  /** UCB exploration coefficient: normalised gain per dollar + exploration · √(ln N / n). */
  exploration: z.number().min(0).default(1),
  /** Recent settled children that decide whether improvement flows or stalls. */
  window: z.number().int().min(1).default(8),
  /** Settled children without a new best after which a paradigm shift is proposed. */
  paradigmAfter: z.number().int().min(1).default(30),
  /** Temperatures when improvement flows and when it stalls. */
  calmTemperature: z.number().min(0).max(2).default(0.4),
  boldTemperature: z.number().min(0).max(2).default(1),
});

export type AdaptiveOptions = Omit<z.output<typeof adaptiveConfig>, "kind">;

type Level = "exploit" | "explore";

interface Island {
  programs: Program[];
  best: Program;
  /** Settled children, their summed gain over the island's best at the time, and the dollars that proposed them. */
  pulls: number;
  gain: number;
  cost: number;
}

const PARADIGM = "paradigm";

/**
 * What a child is charged at least, in dollars (as the model ensemble does):
 * children proposed for free (the tuner, a local model) keep a finite gain
 * per dollar, and islands whose children were all free are compared by gain
 * per child.
 */
const MIN_USD_PER_CHILD = 0.000001;

export class AdaptiveStrategy implements Strategy {
  readonly name = "adaptive";
  readonly options: Readonly<AdaptiveOptions>;
  private readonly islands: Island[] = [];
  private readonly seen = new Set<string>();
  private top: Program | undefined;
  private sinceBest = 0;
  /** Whether each of the last `window` settled children beat its island's best. */
  private recent: boolean[] = [];
  /** The best program a paradigm shift was last asked from (one shift per best, whatever order resume replays in). */
  private paradigmFrom: string | null = null;
  private level: Level = "exploit";
  /** Paradigm children so far: what was tried and how it went. */
  private readonly ideas: string[] = [];

  constructor(options: Partial<AdaptiveOptions> = {}) {
    this.options = Object.freeze(parseOptions(adaptiveConfig, "adaptive", options));
  }

  select(rng: Rng): Selection {
    if (!this.top) throw new Error("adaptive.select: the population is empty; ingest the seed program first");
    if (this.paradigmFrom !== this.top.id && this.sinceBest >= this.options.paradigmAfter) {
      this.paradigmFrom = this.top.id;
      const reason = `no new best in ${this.sinceBest} settled children (paradigmAfter ${this.options.paradigmAfter})`;
      return {
        parent: this.top,
        inspirations: [],
        tag: `${this.islandOfProgram(this.top)}:${PARADIGM}`,
        directive: {
          operation: PARADIGM,
          role: PARADIGM,
          editMode: "full",
          temperature: this.options.boldTemperature,
          sections: [{ title: "A different idea", body: this.paradigmNote() }],
        },
        events: [{ kind: "paradigm_shift", data: { from: this.top.id, reason } }],
      };
    }
    const events: StrategyEvent[] = [];
    const stalled = this.recent.length >= this.options.window && !this.recent.includes(true);
    const level: Level = stalled ? "explore" : "exploit";
    if (level !== this.level) {
      this.level = level;
      events.push({
        kind: "intensity",
        data: {
          level,
          reason: stalled
            ? `none of the last ${this.options.window} children beat its island's best`
            : "a recent child beat its island's best",
        },
      });
    }
    const { index, ucb } = this.choose();
    events.push({
      kind: "island_chosen",
      data: {
        island: index,
        ucb,
        costUsd: this.islands.map((i) => Number(i.cost.toFixed(9))),
        reason: "highest upper confidence bound on gain per dollar",
      },
    });
    const island = this.islands[index]!;
    const ranked = [...island.programs].sort((a, b) => b.score - a.score);
    const parent = level === "explore" ? rng.pick(ranked) : island.best;
    const inspirations = ranked.filter((p) => p.id !== parent.id).slice(0, level === "explore" ? 4 : 1);
    return {
      parent,
      inspirations,
      tag: String(index),
      directive:
        level === "explore"
          ? { temperature: this.options.boldTemperature, editMode: "full" }
          : { temperature: this.options.calmTemperature, editMode: "diff" },
      events,
    };
  }

  /** The island with the highest UCB of gain per dollar (untried islands first, ties to the lowest). */
  private choose(): { index: number; ucb: number[] } {
    const ucb = costAwareUcb(this.islands, this.options.exploration, MIN_USD_PER_CHILD);
    return { index: argmax(ucb), ucb: ucb.map((u) => (Number.isFinite(u) ? Number(u.toFixed(6)) : -1)) };
  }

  private paradigmNote(): string {
    const tried = this.ideas.length > 0 ? this.ideas.map((i) => `- ${i}`).join("\n") : "- none yet";
    return [
      "The search has stalled around the current program. Rewrite it around a different algorithmic idea,",
      "not a tuning of this one: name the idea first, then give the whole program.",
      "Ideas already tried this way:",
      tried,
    ].join("\n");
  }

  ingest(settled: Settled): StrategyEvent[] {
    const { candidate } = settled;
    if (candidate.iteration === 0) {
      if (settled.status === "ok") {
        this.top = settled.program;
        this.seen.add(settled.program.id);
        while (this.islands.length < this.options.islands)
          this.islands.push({ programs: [settled.program], best: settled.program, pulls: 0, gain: 0, cost: 0 });
      }
      return [];
    }
    const [islandTag, kind] = candidate.tag.split(":");
    const island = this.islands[this.indexOf(islandTag ?? "")]!;
    const program =
      settled.status === "ok" && !this.seen.has(settled.program.id) ? settled.program : undefined;
    const gain = program ? Math.max(0, program.score - island.best.score) : 0;
    island.pulls++;
    island.gain += gain;
    island.cost += candidate.costUsd ?? 0;
    this.recent = [...this.recent, gain > 0].slice(-this.options.window);
    if (kind === PARADIGM) this.ideas.push(ideaOf(settled));
    if (program) {
      this.seen.add(program.id);
      island.programs.push(program);
      if (program.score > island.best.score) island.best = program;
      if (program.score > this.top!.score) {
        this.top = program;
        this.sinceBest = 0;
        return [];
      }
    }
    this.sinceBest++;
    return [];
  }

  replay(event: StrategyEvent): void {
    if (event.kind === "paradigm_shift") this.paradigmFrom = (event.data as { from: string }).from;
    else if (event.kind === "intensity") this.level = (event.data as { level: Level }).level;
  }

  private indexOf(tag: string): number {
    const n = Number(tag);
    return Number.isInteger(n) && n >= 0 && n < this.islands.length ? n : 0;
  }

  private islandOfProgram(p: Program): number {
    const i = this.islands.findIndex((island) => island.programs.includes(p));
    return Math.max(0, i);
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
      level: this.level,
      sinceBest: this.sinceBest,
      islands: this.islands.map((i, index) => ({
        island: index,
        size: i.programs.length,
        best: { id: i.best.id, score: i.best.score },
        pulls: i.pulls,
        meanGain: i.pulls > 0 ? i.gain / i.pulls : 0,
        costUsd: i.cost,
      })),
      ideas: this.ideas,
    };
  }
}

/** One line on a paradigm child: its id, how it went, and the first line it added. */
function ideaOf(settled: Settled): string {
  const outcome =
    settled.status === "ok"
      ? `score ${settled.program.score.toFixed(2)}`
      : settled.status === "failed"
        ? `failed (${settled.evaluation.status})`
        : settled.status;
  const first = diffLines(settled.candidate.diff).added.find((l) => !l.startsWith("//")) ?? "";
  return `${settled.candidate.id}: ${outcome}${first ? `; began \`${first.slice(0, 80)}\`` : ""}`;
}
