import { codeHash } from "../core/ids.ts";
import type { Rng } from "../core/rng.ts";
import type { Program, Settled } from "../core/types.ts";
import { chebyshev, compareCoords, FeatureSpace } from "./feature-space.ts";
import { type IslandsOptions, islandsConfig } from "./islands-config.ts";
import { parseOptions } from "./options.ts";
import type { Selection, Strategy, StrategyEvent } from "./strategy.ts";

/** The island a tag names: islands tag each selection with its island's number; the seed's "" is island 0. */
function islandOf(tag: string): number {
  return tag === "" ? 0 : Number(tag);
}

interface Entry {
  program: Program;
  /** Ingest order: the tie-breaker that keeps every ordering deterministic. */
  seq: number;
  hash: string;
  /** Raw feature values, or null when a metric dimension is missing (then the program holds no cell). */
  features: number[] | null;
}

interface Island {
  /** Program ids in the order they joined the island. */
  members: string[];
  memberSet: Set<string>;
  /** Code hash → number of members with that code, to skip migrating duplicates. */
  codes: Map<string, number>;
  /** Cell key → occupant id. */
  grid: Map<string, string>;
  /** Each member's cell coordinates, fixed when it joined (null without features). */
  coords: Map<string, number[] | null>;
  /** Children ingested into this island. */
  generation: number;
  /** Members best first, kept sorted as they come and go (select reads it on every call). */
  ranked: Entry[];
}

/**
 * Islands of MAP-Elites grids, after OpenEvolve: each island keeps its own grid
 * and archive of elites, and every `migrationInterval` island generations its
 * top programs are copied to both ring neighbours.
 *
 * State is a pure function of the ingest sequence: `select` only reads it and
 * draws everything, including the island, from the engine's RNG. A resumed run
 * that re-ingests the stored programs in stored order and restores the RNG
 * therefore continues exactly as the live run would have.
 */
export class IslandsStrategy implements Strategy {
  readonly name = "islands";
  readonly options: Readonly<IslandsOptions>;

  private readonly entries = new Map<string, Entry>();
  /** Every id ever ingested, so a repeated ingest (or one of an evicted program) is a no-op. */
  private readonly seen = new Set<string>();
  /** Programs that have been copied off their island once; they never move again. */
  private readonly migrated = new Set<string>();
  /** Every copy made, `id:from:to`: what a resumed run's stored `program_migrated` events are checked against. */
  private readonly copies = new Set<string>();
  private readonly islandStates: Island[];
  private readonly space: FeatureSpace;
  private seq = 0;
  private bestId: string | undefined;
  /** How many cells (over all islands) each program holds; absent means none. */
  private readonly cellsHeld = new Map<string, number>();

  constructor(options: Partial<IslandsOptions> = {}) {
    const o = parseOptions(islandsConfig, "islands", options);
    this.options = Object.freeze(o);
    this.islandStates = Array.from({ length: o.islands }, () => ({
      members: [],
      memberSet: new Set<string>(),
      codes: new Map<string, number>(),
      grid: new Map<string, string>(),
      coords: new Map<string, number[] | null>(),
      generation: 0,
      ranked: [],
    }));
    this.space = new FeatureSpace(o.featureDimensions, o.featureBins);
  }

  /** Only programs join the population; failed, rejected and screened candidates change nothing. */
  ingest(settled: Settled): StrategyEvent[] {
    if (settled.status !== "ok") return [];
    const program = settled.program;
    if (this.seen.has(program.id)) return [];
    const n = this.options.islands;
    const islandIndex = islandOf(program.tag);
    if (!Number.isInteger(islandIndex) || islandIndex < 0 || islandIndex >= n) {
      throw new Error(
        `IslandsStrategy.ingest: program ${program.id} has tag "${program.tag}", but the strategy has ${n} islands (0–${n - 1})`,
      );
    }
    this.seen.add(program.id);
    const features = this.space.features(program);
    if (features) this.space.widen(features);
    const entry: Entry = { program, seq: this.seq++, hash: codeHash(program.code), features };
    this.entries.set(program.id, entry);
    if (!this.bestId || program.score > this.entry(this.bestId).program.score) this.bestId = program.id;

    const events: StrategyEvent[] = [];
    this.place(islandIndex, entry);
    if (!program.parentId) {
      // The seed starts every island; it counts as migrated so it is never copied again.
      this.migrated.add(program.id);
      for (let to = 0; to < n; to++) {
        if (to === islandIndex) continue;
        this.place(to, entry);
        events.push(this.copied(program.id, islandIndex, to));
      }
    } else {
      const island = this.island(islandIndex);
      island.generation++;
      if (island.generation % this.options.migrationInterval === 0) {
        events.push(...this.migrate(islandIndex));
      }
    }
    this.enforceCap();
    return events;
  }

  /**
   * On resume, ingest has rebuilt every migration; each stored one must be among them. One that is
   * not means the islands now decide otherwise than when the run was stored (changed options or
   * code), and the resumed run would silently differ from the stored one.
   */
  replay(event: StrategyEvent): void {
    if (event.kind !== "program_migrated") return;
    const { programId, from, to } = event.data as { programId: string; from: number; to: number };
    if (!this.copies.has(`${programId}:${from}:${to}`)) {
      throw new Error(
        `islands: the stored run copied ${programId} from island ${from} to island ${to}, but the islands ` +
          "rebuilt from the stored programs did not: their options or code changed since the run was stored",
      );
    }
  }

  /** A copy of a program to another island, recorded as an event (which ingest rebuilds on resume). */
  private copied(programId: string, from: number, to: number): StrategyEvent {
    this.copies.add(`${programId}:${from}:${to}`);
    return { kind: "program_migrated", data: { programId, from, to } };
  }

  select(rng: Rng): Selection {
    if (this.entries.size === 0) {
      throw new Error("IslandsStrategy.select: the population is empty; ingest the seed program first");
    }
    let islandIndex = rng.int(this.options.islands);
    // Islands never empty once the seed is in (each keeps its elites), but stay safe if one is.
    while (this.island(islandIndex).members.length === 0) {
      islandIndex = (islandIndex + 1) % this.options.islands;
    }
    const island = this.island(islandIndex);

    const draw = rng.next();
    const { explorationRatio, exploitationRatio } = this.options;
    let parent: Entry;
    if (draw < explorationRatio) {
      parent = this.entry(rng.pick(island.members));
    } else if (draw < explorationRatio + exploitationRatio) {
      parent = rng.pick(this.elites(islandIndex));
    } else {
      parent = this.fitnessProportional(island, rng);
    }
    return {
      parent: parent.program,
      inspirations: this.inspirationsFor(islandIndex, parent, rng).map((e) => e.program),
      tag: String(islandIndex),
    };
  }

  best(): Program | undefined {
    return this.bestId ? this.entry(this.bestId).program : undefined;
  }

  size(): number {
    return this.entries.size;
  }

  /** The programs currently on an island, in the order they joined it. */
  members(island: number): Program[] {
    return this.island(island).members.map((id) => this.entry(id).program);
  }

  describe(): IslandsDescription {
    const best = this.best();
    return {
      name: this.name,
      size: this.size(),
      populationSize: this.options.populationSize,
      featureDimensions: [...this.options.featureDimensions],
      featureBins: this.options.featureBins,
      ranges: this.space.describeRanges(),
      best: best ? { id: best.id, score: best.score } : null,
      islands: this.islandStates.map((island, index) => {
        const top = this.rankedMembers(index)[0];
        const cells = [...island.grid.entries()]
          .map(([key, id]) => ({
            cell: key.split(",").map(Number),
            programId: id,
            score: this.entry(id).program.score,
          }))
          .sort((a, b) => compareCoords(a.cell, b.cell));
        return {
          island: index,
          size: island.members.length,
          generation: island.generation,
          bestId: top ? top.program.id : null,
          bestScore: top ? top.program.score : null,
          occupiedCells: island.grid.size,
          archive: this.elites(index).map((e) => e.program.id),
          cells,
        };
      }),
    };
  }

  // ---- population bookkeeping ----

  private place(islandIndex: number, entry: Entry): void {
    const island = this.island(islandIndex);
    const id = entry.program.id;
    island.members.push(id);
    island.memberSet.add(id);
    island.ranked.splice(insertionPoint(island.ranked, entry), 0, entry);
    island.codes.set(entry.hash, (island.codes.get(entry.hash) ?? 0) + 1);
    // Bins come from the ranges as they are now; occupants keep the cell they won even
    // when the ranges later widen, so placement never depends on anything but the ingest order.
    const coords = entry.features ? this.space.bin(entry.features) : null;
    island.coords.set(id, coords);
    if (!coords) return;
    const key = coords.join(",");
    const occupant = island.grid.get(key);
    if (occupant === undefined || entry.program.score > this.entry(occupant).program.score) {
      if (occupant !== undefined) this.holdCells(occupant, -1);
      island.grid.set(key, id);
      this.holdCells(id, 1);
    }
  }

  private migrate(from: number): StrategyEvent[] {
    const n = this.options.islands;
    if (n < 2) return [];
    const island = this.island(from);
    const count = Math.max(1, Math.floor(this.options.migrationRate * island.members.length));
    const targets = [...new Set([(from + n - 1) % n, (from + 1) % n])].filter((t) => t !== from);
    const events: StrategyEvent[] = [];
    for (const entry of this.rankedMembers(from).slice(0, count)) {
      const id = entry.program.id;
      if (this.migrated.has(id)) continue;
      this.migrated.add(id);
      for (const to of targets) {
        const target = this.island(to);
        if (target.memberSet.has(id) || (target.codes.get(entry.hash) ?? 0) > 0) continue;
        this.place(to, entry);
        events.push(this.copied(id, from, to));
      }
    }
    return events;
  }

  /**
   * Drops programs until the cap holds: first the lowest-ranked that hold no cell on
   * any island, then (only if every unprotected program holds a cell) the lowest-ranked
   * cell holders. Elites of every island and the global best are never dropped, so the
   * population may exceed a cap smaller than that protected set.
   */
  private enforceCap(): void {
    while (this.entries.size > this.options.populationSize) {
      const protectedIds = new Set<string>();
      if (this.bestId) protectedIds.add(this.bestId);
      for (let i = 0; i < this.islandStates.length; i++) {
        for (const e of this.elites(i)) protectedIds.add(e.program.id);
      }
      let cellless: Entry | undefined;
      let any: Entry | undefined;
      for (const e of this.entries.values()) {
        if (protectedIds.has(e.program.id)) continue;
        if (!any || rankBefore(any, e)) any = e;
        if ((!cellless || rankBefore(cellless, e)) && !this.cellsHeld.has(e.program.id)) cellless = e;
      }
      const victim = cellless ?? any;
      if (!victim) return;
      this.remove(victim);
    }
  }

  private remove(entry: Entry): void {
    const id = entry.program.id;
    for (const island of this.islandStates) {
      if (!island.memberSet.has(id)) continue;
      island.memberSet.delete(id);
      island.members.splice(island.members.indexOf(id), 1);
      island.ranked.splice(island.ranked.indexOf(entry), 1);
      const left = (island.codes.get(entry.hash) ?? 1) - 1;
      if (left > 0) island.codes.set(entry.hash, left);
      else island.codes.delete(entry.hash);
      const coords = island.coords.get(id);
      island.coords.delete(id);
      if (!coords) continue;
      const key = coords.join(",");
      if (island.grid.get(key) !== id) continue;
      // Hand the freed cell to the best remaining member that was binned there.
      const heir = island.ranked.find((e) => island.coords.get(e.program.id)?.join(",") === key);
      if (heir) {
        island.grid.set(key, heir.program.id);
        this.holdCells(heir.program.id, 1);
      } else {
        island.grid.delete(key);
      }
    }
    this.entries.delete(id);
    this.cellsHeld.delete(id);
  }

  private holdCells(id: string, delta: number): void {
    const n = (this.cellsHeld.get(id) ?? 0) + delta;
    if (n > 0) this.cellsHeld.set(id, n);
    else this.cellsHeld.delete(id);
  }

  // ---- selection helpers ----

  /** The island's archive: its top `eliteRatio` share by score, at least one program. */
  private elites(islandIndex: number): Entry[] {
    const members = this.island(islandIndex).members;
    if (members.length === 0) return [];
    const count = Math.max(1, Math.ceil(this.options.eliteRatio * members.length));
    return this.rankedMembers(islandIndex).slice(0, count);
  }

  private fitnessProportional(island: Island, rng: Rng): Entry {
    const entries = island.members.map((id) => this.entry(id));
    const weights = entries.map((e) => (Number.isFinite(e.program.score) ? Math.max(0, e.program.score) : 0));
    const total = weights.reduce((a, b) => a + b, 0);
    if (total <= 0) return rng.pick(entries);
    let u = rng.next() * total;
    for (let i = 0; i < entries.length; i++) {
      u -= weights[i] as number;
      if (u < 0) return entries[i] as Entry;
    }
    return entries.at(-1) as Entry;
  }

  private inspirationsFor(islandIndex: number, parent: Entry, rng: Rng): Entry[] {
    const want = this.options.inspirations;
    if (want <= 0) return [];
    const island = this.island(islandIndex);
    const chosen: Entry[] = [];
    const used = new Set<string>([parent.program.id]);
    const take = (e: Entry) => {
      if (chosen.length < want && !used.has(e.program.id)) {
        used.add(e.program.id);
        chosen.push(e);
      }
    };

    const topCount = Math.ceil(want / 2);
    for (const e of this.rankedMembers(islandIndex)) {
      if (chosen.length >= topCount) break;
      take(e);
    }

    // Diverse: occupants of other cells within two bins of the parent (nearest first), then random members.
    const here = island.coords.get(parent.program.id);
    if (here) {
      const near: { entry: Entry; distance: number }[] = [];
      for (const [key, id] of island.grid) {
        const d = chebyshev(here, key.split(",").map(Number));
        if (d >= 1 && d <= 2) near.push({ entry: this.entry(id), distance: d });
      }
      rng.shuffle(near);
      near.sort((a, b) => a.distance - b.distance);
      for (const { entry } of near) take(entry);
    }
    if (chosen.length < want) {
      for (const id of rng.shuffle([...island.members])) take(this.entry(id));
    }
    return chosen;
  }

  // ---- lookups ----

  private rankedMembers(islandIndex: number): Entry[] {
    return this.island(islandIndex).ranked;
  }

  private entry(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new Error(`IslandsStrategy: unknown program ${id}`);
    return e;
  }

  private island(index: number): Island {
    const island = this.islandStates[index];
    if (!island) throw new Error(`IslandsStrategy: no island ${index}`);
    return island;
  }
}

/** The JSON picture `describe()` returns. */
export interface IslandsDescription {
  name: string;
  size: number;
  populationSize: number;
  featureDimensions: string[];
  featureBins: number;
  /** Running min/max per dimension (score is fixed at 0–100); null before any value was seen. */
  ranges: { dimension: string; min: number | null; max: number | null }[];
  best: { id: string; score: number } | null;
  islands: {
    island: number;
    size: number;
    generation: number;
    bestId: string | null;
    bestScore: number | null;
    occupiedCells: number;
    archive: string[];
    cells: { cell: number[]; programId: string; score: number }[];
  }[];
}

/** Whether `a` ranks above `b`: higher score, then earlier ingest (the incumbent wins ties). */
function rankBefore(a: Entry, b: Entry): boolean {
  return a.program.score !== b.program.score ? a.program.score > b.program.score : a.seq < b.seq;
}

/** Where `entry` goes in a best-first list (binary search on rankBefore). */
function insertionPoint(ranked: Entry[], entry: Entry): number {
  let lo = 0;
  let hi = ranked.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rankBefore(ranked[mid] as Entry, entry)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
