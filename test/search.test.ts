import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Rng } from "../src/core/rng.ts";
import type { Program } from "../src/core/types.ts";
import {
  createStrategy,
  type IslandsDescription,
  type IslandsOptions,
  IslandsStrategy,
  type Strategy,
  type StrategyEvent,
} from "../src/search/index.ts";
import { settledOk } from "./support/instant.ts";

/** A program on an island: islands tag each selection with its island's number. */
/**
 * The defaults docs/strategies.md gives in its `key | default | meaning` table under `## <kind>`:
 * the expectation comes from the documentation, not from the schema under test.
 */
function documentedDefaults(kind: string): Record<string, unknown> {
  const doc = readFileSync(join(import.meta.dirname, "..", "docs", "strategies.md"), "utf8");
  const section = doc.split(/^## /m).find((s) => s.startsWith(`${kind}\n`));
  assert.ok(section, `docs/strategies.md has a section ## ${kind}`);
  const rows = [...section.matchAll(/^\| `(\w+)` \| ([^|]+) \|/gm)];
  assert.ok(rows.length > 0, `## ${kind} has a table of defaults`);
  const value = (text: string): unknown => {
    const list = /^`\[(.*)\]`$/.exec(text);
    if (list) return list[1]!.split(",").map((v) => v.trim());
    const word = /^`([a-z][\w-]*)`$/.exec(text);
    if (word) return word[1];
    assert.match(
      text,
      /^-?[\d.]+$/,
      `a default in ## ${kind} reads as a number, a list or a word in backticks: ${text}`,
    );
    return Number(text);
  };
  return Object.fromEntries(rows.map((m) => [m[1], value(m[2]!.trim())]));
}

function program(id: string, fields: Partial<Program> & { island?: number } = {}): Program {
  const { island = 0, ...rest } = fields;
  return {
    id,
    parentId: "seed",
    code: `// ${id}\nexport const x = 1;\n`,
    score: 0,
    metrics: {},
    feedback: "",
    tag: String(island),
    generation: 1,
    iteration: 1,
    diff: "",
    model: "test",
    createdAt: 0,
    ...rest,
  };
}

/** How a strategy learns of a program: settled ok, with its evaluation. */
function feed(s: Strategy, p: Program): StrategyEvent[] {
  return s.ingest(settledOk(p));
}

function seed(fields: Partial<Program> & { island?: number } = {}): Program {
  return program("seed", { parentId: null, generation: 0, iteration: 0, score: 10, ...fields });
}

function describeOf(s: IslandsStrategy): IslandsDescription {
  return s.describe();
}

function ids(programs: Program[]): string[] {
  return programs.map((p) => p.id).sort();
}

/** A varied, fixed sequence: several islands, metrics, repeated code and enough programs to migrate and evict. */
function sequence(count: number, islands: number): Program[] {
  const out = [seed({ metrics: { latency: 50 } })];
  for (let i = 1; i <= count; i++) {
    const score = (i * 37) % 101;
    out.push(
      program(`c${i}`, {
        parentId: out[(i * 7) % out.length]!.id,
        island: (i * 5) % islands,
        score,
        code: `// v${i % 23}\n${"x".repeat((i * 13) % 200)}\n`,
        metrics: i % 9 === 0 ? {} : { latency: (i * 11) % 97 },
        iteration: i,
      }),
    );
  }
  return out;
}

describe("IslandsStrategy", () => {
  test("the seed starts every island and counts as migrated", () => {
    const s = new IslandsStrategy({ islands: 3 });
    const events = feed(s, seed());
    assert.deepEqual(events, [
      { kind: "program_migrated", data: { programId: "seed", from: 0, to: 1 } },
      { kind: "program_migrated", data: { programId: "seed", from: 0, to: 2 } },
    ]);
    const d = describeOf(s);
    assert.deepEqual(
      d.islands.map((i) => [i.size, i.bestId, i.generation]),
      [
        [1, "seed", 0],
        [1, "seed", 0],
        [1, "seed", 0],
      ],
    );
    assert.equal(s.size(), 1);
    assert.equal(s.best()?.id, "seed");
  });

  test("a repeated ingest is a no-op and an island out of range is a clear error", () => {
    const s = new IslandsStrategy({ islands: 2 });
    feed(s, seed());
    const before = JSON.stringify(s.describe());
    assert.deepEqual(feed(s, seed()), []);
    assert.equal(JSON.stringify(s.describe()), before);
    assert.throws(() => feed(s, program("c1", { island: 2 })), /c1 has tag "2".*2 islands/);
  });

  test("select before any ingest explains itself", () => {
    assert.throws(() => new IslandsStrategy().select(new Rng(1)), /empty.*seed/);
  });

  test("a child takes a cell only with a strictly higher score", () => {
    const s = new IslandsStrategy({ islands: 1, featureDimensions: ["score"], featureBins: 10 });
    feed(s, seed({ score: 10 }));
    const cellOf = (bin: number) => describeOf(s).islands[0]!.cells.find((c) => c.cell[0] === bin)?.programId;
    feed(s, program("a", { score: 55 }));
    assert.equal(cellOf(5), "a");
    feed(s, program("b", { score: 52 }));
    assert.equal(cellOf(5), "a", "lower score does not replace");
    feed(s, program("c", { score: 55 }));
    assert.equal(cellOf(5), "a", "an equal score does not replace the incumbent");
    feed(s, program("d", { score: 58 }));
    assert.equal(cellOf(5), "d");
    assert.equal(cellOf(1), "seed");
    assert.equal(describeOf(s).islands[0]!.occupiedCells, 2);
    // Displaced programs stay in the island; they just hold no cell.
    assert.equal(s.members(0).length, 5);
  });

  test("codeLength bins by running min/max; occupants keep their cell as the range grows", () => {
    const s = new IslandsStrategy({ islands: 1, featureDimensions: ["codeLength"], featureBins: 4 });
    feed(s, seed({ code: "x".repeat(100) }));
    feed(s, program("long", { code: "x".repeat(200), score: 20 }));
    feed(s, program("short", { code: "x".repeat(10), score: 5 }));
    const cells = () => describeOf(s).islands[0]!.cells.map((c) => [c.cell[0], c.programId]);
    // seed was alone (an empty range bins to 0), long set the top, short then widened the bottom
    // and, scoring lower than seed, lost cell 0 to it; seed is not re-binned to the middle.
    assert.deepEqual(cells(), [
      [0, "seed"],
      [3, "long"],
    ]);
    feed(s, program("mid", { code: "x".repeat(80), score: 1 }));
    assert.deepEqual(cells(), [
      [0, "seed"],
      [1, "mid"],
      [3, "long"],
    ]);
    assert.deepEqual(describeOf(s).ranges, [{ dimension: "codeLength", min: 10, max: 200 }]);
  });

  test("migration copies the top share to both ring neighbours on the interval, never twice", () => {
    const s = new IslandsStrategy({ islands: 4, migrationInterval: 3, migrationRate: 0.1 });
    feed(s, seed());
    const into1 = (id: string, score: number, code?: string): StrategyEvent[] =>
      feed(s, program(id, { island: 1, score, ...(code ? { code } : {}) }));
    assert.deepEqual(into1("a", 20), []);
    assert.deepEqual(into1("b", 30), []);
    // Third generation of island 1: its best (c) goes to islands 0 and 2, not 3.
    assert.deepEqual(into1("c", 90), [
      { kind: "program_migrated", data: { programId: "c", from: 1, to: 0 } },
      { kind: "program_migrated", data: { programId: "c", from: 1, to: 2 } },
    ]);
    assert.ok(ids(s.members(0)).includes("c"));
    assert.ok(!ids(s.members(3)).includes("c"));
    // Sixth generation: c is still the best but has migrated already.
    into1("d", 15);
    into1("e", 16);
    assert.deepEqual(into1("f", 17), []);
    // A migrant never moves on from the island it reached.
    const d = describeOf(s);
    assert.equal(d.islands[1]!.generation, 6);
    assert.equal(d.islands[0]!.generation, 0, "copies are not generations of the target");

    // Ninth generation: g is the new best; island 2 already holds g's code, so only island 0 gets it.
    feed(s, program("twin", { island: 2, score: 5, code: "same code\n" }));
    into1("g", 95, "same code\n");
    into1("h", 1);
    assert.deepEqual(into1("i", 2), [{ kind: "program_migrated", data: { programId: "g", from: 1, to: 0 } }]);
  });

  test("migration with two islands goes to the one neighbour once; one island never migrates", () => {
    const two = new IslandsStrategy({ islands: 2, migrationInterval: 1 });
    feed(two, seed());
    assert.deepEqual(feed(two, program("a", { island: 0, score: 50 })), [
      { kind: "program_migrated", data: { programId: "a", from: 0, to: 1 } },
    ]);
    const one = new IslandsStrategy({ islands: 1, migrationInterval: 1 });
    assert.deepEqual(feed(one, seed()), []);
    assert.deepEqual(feed(one, program("a", { score: 50 })), []);
  });

  test("the population cap drops the lowest programs and keeps the best", () => {
    const s = new IslandsStrategy({
      islands: 2,
      populationSize: 10,
      featureDimensions: ["score"],
      featureBins: 1,
    });
    feed(s, seed({ score: 1 }));
    const scores: number[] = [];
    for (let i = 1; i <= 40; i++) {
      const score = (i * 53) % 97;
      scores.push(score);
      feed(s, program(`c${i}`, { island: i % 2, score, iteration: i }));
    }
    assert.equal(s.size(), 10);
    const kept = [...s.members(0), ...s.members(1)].map((p) => p.score);
    const top = [...scores].sort((a, b) => b - a).slice(0, 10);
    assert.deepEqual(
      [...new Set(kept)].sort((a, b) => b - a),
      top,
    );
    assert.equal(s.best()?.score, Math.max(...scores));
  });

  test("the cap spares programs that hold a grid cell before higher-scoring ones that do not", () => {
    const s = new IslandsStrategy({
      islands: 1,
      populationSize: 4,
      featureDimensions: ["novelty"],
      featureBins: 10,
    });
    feed(s, seed({ score: 10, metrics: { novelty: 0 } }));
    feed(s, program("far", { score: 50, metrics: { novelty: 100 } }));
    feed(s, program("odd", { score: 3, metrics: { novelty: 50 } }));
    for (const [id, score] of [
      ["p20", 20],
      ["p30", 30],
      ["p40", 40],
    ] as const) {
      feed(s, program(id, { score, metrics: { novelty: 0 } }));
    }
    // Cell 0 is p40's now; seed, p20 and p30 hold nothing, so they go first, lowest first.
    assert.deepEqual(ids(s.members(0)), ["far", "odd", "p30", "p40"]);
    assert.equal(s.size(), 4);
  });

  test("a metric feature dimension bins by the metric; a program without it holds no cell", () => {
    const s = new IslandsStrategy({ islands: 1, featureDimensions: ["score", "latency"], featureBins: 5 });
    feed(s, seed({ score: 10, metrics: { latency: 100 } }));
    feed(s, program("fast", { score: 30, metrics: { latency: 20 } }));
    feed(s, program("slow", { score: 45, metrics: { latency: 90 } }));
    feed(s, program("blind", { score: 99, metrics: {} }));
    const d = describeOf(s);
    assert.deepEqual(
      d.islands[0]!.cells.map((c) => [c.cell, c.programId]),
      [
        [[0, 0], "seed"],
        [[1, 0], "fast"],
        [[2, 4], "slow"],
      ],
    );
    assert.deepEqual(d.ranges[1], { dimension: "latency", min: 20, max: 100 });
    // Missing metric: still a member, still the best, still selectable.
    assert.ok(ids(s.members(0)).includes("blind"));
    assert.equal(s.best()?.id, "blind");
    const rng = new Rng(3);
    for (let i = 0; i < 50; i++) s.select(rng);
  });

  test("parent selection follows the exploration / exploitation / fitness ratios", () => {
    const s = new IslandsStrategy({ islands: 1 });
    feed(s, seed({ score: 1 }));
    for (let i = 1; i < 50; i++) feed(s, program(`c${i}`, { score: i * 2, iteration: i }));
    // 50 programs: the archive is the top ceil(0.1 × 50) = 5.
    const archive = new Set(describeOf(s).islands[0]!.archive);
    assert.equal(archive.size, 5);
    const all = s.members(0);
    const total = all.reduce((a, p) => a + p.score, 0);
    const archiveFitness = all.filter((p) => archive.has(p.id)).reduce((a, p) => a + p.score, 0) / total;
    const expected = 0.7 + 0.2 * (5 / 50) + 0.1 * archiveFitness;

    const rng = new Rng(12345);
    const draws = 6000;
    let inArchive = 0;
    for (let i = 0; i < draws; i++) if (archive.has(s.select(rng).parent.id)) inArchive++;
    assert.ok(Math.abs(inArchive / draws - expected) < 0.03, `${inArchive / draws} vs ${expected}`);

    // Pure fitness-proportional: a program is chosen in proportion to its score.
    const fp = new IslandsStrategy({ islands: 1, explorationRatio: 0, exploitationRatio: 0 });
    feed(fp, seed({ score: 10 }));
    feed(fp, program("strong", { score: 90 }));
    let strong = 0;
    for (let i = 0; i < draws; i++) if (fp.select(rng).parent.id === "strong") strong++;
    assert.ok(Math.abs(strong / draws - 0.9) < 0.03, `${strong / draws}`);

    // Pure exploration: uniform, whatever the scores.
    const ex = new IslandsStrategy({ islands: 1, explorationRatio: 1, exploitationRatio: 0 });
    feed(ex, seed({ score: 0 }));
    feed(ex, program("strong", { score: 100 }));
    let picked = 0;
    for (let i = 0; i < draws; i++) if (ex.select(rng).parent.id === "strong") picked++;
    assert.ok(Math.abs(picked / draws - 0.5) < 0.03, `${picked / draws}`);
  });

  test("the island is drawn from the RNG and every island gets its share", () => {
    const s = new IslandsStrategy({ islands: 3 });
    feed(s, seed());
    const rng = new Rng(9);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) {
      const sel = s.select(rng);
      counts[Number(sel.tag)]!++;
      assert.ok(
        ids(s.members(Number(sel.tag))).includes(sel.parent.id),
        "the parent lives on the selected island",
      );
    }
    for (const c of counts) assert.ok(Math.abs(c / 3000 - 1 / 3) < 0.04, `${counts}`);
  });

  test("inspirations: top and diverse programs of the island, never the parent, never twice", () => {
    const s = new IslandsStrategy({ islands: 2, inspirations: 4, migrationInterval: 5 });
    for (const p of sequence(80, 2)) feed(s, p);
    const rng = new Rng(77);
    for (let i = 0; i < 500; i++) {
      const sel = s.select(rng);
      const insp = sel.inspirations.map((p) => p.id);
      assert.ok(!insp.includes(sel.parent.id), "parent excluded");
      assert.equal(new Set(insp).size, insp.length, "no duplicates");
      assert.equal(insp.length, 4);
      const island = new Set(s.members(Number(sel.tag)).map((p) => p.id));
      for (const id of insp) assert.ok(island.has(id), "from the selected island");
      // The first half are the island's best (other than the parent).
      const top = s
        .members(Number(sel.tag))
        .filter((p) => p.id !== sel.parent.id)
        .sort((a, b) => b.score - a.score)
        .slice(0, 2)
        .map((p) => p.score);
      assert.deepEqual(
        sel.inspirations.slice(0, 2).map((p) => p.score),
        top,
      );
    }
    // A tiny island hands over what it has.
    const small = new IslandsStrategy({ islands: 1, inspirations: 4 });
    feed(small, seed());
    feed(small, program("a", { score: 20 }));
    const sel = small.select(new Rng(1));
    assert.equal(sel.inspirations.length, 1);
    assert.notEqual(sel.inspirations[0]!.id, sel.parent.id);
  });

  test("identical ingest sequences give identical state and identical selections under one seed", () => {
    const options: Partial<IslandsOptions> = {
      islands: 3,
      populationSize: 40,
      migrationInterval: 4,
      featureDimensions: ["score", "latency", "codeLength"],
      featureBins: 4,
    };
    const programs = sequence(150, 3);
    const a = new IslandsStrategy(options);
    const b = new IslandsStrategy(options);
    const eventsA = programs.flatMap((p) => feed(a, p));
    const eventsB = programs.flatMap((p) => feed(b, p));
    assert.ok(eventsA.length > 0, "the sequence migrates");
    assert.ok(a.size() <= 40, "and evicts");
    assert.deepEqual(eventsA, eventsB);
    assert.deepEqual(a.describe(), b.describe());
    const ra = new Rng(2024);
    const rb = new Rng(2024);
    for (let i = 0; i < 100; i++) {
      const sa = a.select(ra);
      const sb = b.select(rb);
      assert.deepEqual(
        [sa.tag, sa.parent.id, sa.inspirations.map((p) => p.id)],
        [sb.tag, sb.parent.id, sb.inspirations.map((p) => p.id)],
      );
    }
  });

  test("selections and migrations match those recorded before the strategy boundary (fixture)", () => {
    // test/fixtures/islands-selections.json was written by the island model as it was before
    // programs carried tags: for each program of the sequence, the migrations its ingest made
    // and the selection that followed (island, parent, inspirations).
    const file = join(import.meta.dirname, "fixtures", "islands-selections.json");
    const recorded = JSON.parse(readFileSync(file, "utf8")) as {
      options: Partial<IslandsOptions>;
      seed: number;
      steps: { ingest: string; migrations: [string, number, number][]; select: [number, string, string[]] }[];
    };
    const s = new IslandsStrategy(recorded.options);
    const rng = new Rng(recorded.seed);
    const programs = sequence(150, 3);
    assert.equal(programs.length, recorded.steps.length);
    programs.forEach((p, i) => {
      const step = recorded.steps[i]!;
      assert.equal(p.id, step.ingest);
      const migrations = feed(s, p).map((e) => {
        const d = e.data as { programId: string; from: number; to: number };
        return [d.programId, d.from, d.to];
      });
      assert.deepEqual(migrations, step.migrations, `migrations after ${p.id}`);
      const sel = s.select(rng);
      assert.deepEqual(
        [Number(sel.tag), sel.parent.id, sel.inspirations.map((q) => q.id)],
        step.select,
        `selection after ${p.id}`,
      );
    });
  });

  test("on resume each stored migration is checked against the rebuilt ones", () => {
    const programs = sequence(60, 3);
    const stored: { ingest: Program; events: StrategyEvent[] }[] = [];
    const live = new IslandsStrategy({ migrationInterval: 4 });
    for (const p of programs) stored.push({ ingest: p, events: feed(live, p) });
    assert.ok(stored.some((s) => s.events.length > 0), "the run migrated");
    const resume = (options: Partial<IslandsOptions>) => {
      const s = new IslandsStrategy(options);
      for (const { ingest, events } of stored) {
        feed(s, ingest);
        for (const e of events) s.replay(e);
      }
    };
    resume({ migrationInterval: 4 });
    assert.throws(
      () => resume({ migrationInterval: 5 }),
      /islands: the stored run copied \S+ from island \d to island \d, but the islands rebuilt/,
    );
  });

  test("a resumed strategy (ingest only) matches a live one (ingests interleaved with selects)", () => {
    const programs = sequence(60, 3);
    const live = new IslandsStrategy({ migrationInterval: 4 });
    const rng = new Rng(5);
    for (const p of programs) {
      feed(live, p);
      live.select(rng);
      live.select(rng);
    }
    const resumed = new IslandsStrategy({ migrationInterval: 4 });
    for (const p of programs) feed(resumed, p);
    assert.deepEqual(resumed.describe(), live.describe());
    // The engine restores its RNG from the last stored state: both continue identically.
    const state = rng.state();
    const r1 = new Rng(state);
    const r2 = new Rng(state);
    for (let i = 0; i < 30; i++) assert.deepEqual(live.select(r1).parent.id, resumed.select(r2).parent.id);
  });

  test("describe is JSON and summarises every island", () => {
    const s = new IslandsStrategy({ islands: 2, migrationInterval: 2 });
    for (const p of sequence(10, 2)) feed(s, p);
    const d = JSON.parse(JSON.stringify(s.describe())) as IslandsDescription;
    assert.equal(d.islands.length, 2);
    assert.equal(d.best?.id, s.best()?.id);
    for (const island of d.islands) {
      assert.equal(island.size, s.members(island.island).length);
      assert.equal(island.occupiedCells, island.cells.length);
      assert.ok(island.bestScore !== null && island.archive.length >= 1);
    }
  });
});

describe("createStrategy", () => {
  test("builds islands with the defaults, or with the config's strategy section", () => {
    const s = createStrategy() as IslandsStrategy;
    assert.equal(s.name, "islands");
    assert.deepEqual(s.options, documentedDefaults("islands"));
    const t = createStrategy({ islands: 5, featureDimensions: ["score", "latency"] }) as IslandsStrategy;
    assert.equal(t.options.islands, 5);
    assert.deepEqual(t.options.featureDimensions, ["score", "latency"]);
    assert.equal(t.options.featureBins, 10);
  });

  test("every kind's defaults are the ones docs/strategies.md documents", () => {
    for (const kind of ["islands", "gepa", "best-of-n", "hill-climb", "shinka", "adaptive"]) {
      const s = createStrategy({ kind }) as Strategy & { options: object };
      assert.deepEqual({ ...s.options }, documentedDefaults(kind), kind);
    }
  });

  test("bad options name the field", () => {
    assert.throws(() => createStrategy({ islands: 0 }), /strategy\.islands: .*>=1/);
    assert.throws(() => new IslandsStrategy({ islands: 1.5 }), /strategy\.islands: expected int/);
    assert.throws(() => createStrategy({ migrationRate: 2 }), /strategy\.migrationRate/);
    assert.throws(
      () => createStrategy({ explorationRatio: 0.5, exploitationRatio: 0.7 }),
      /strategy\.exploitationRatio: explorationRatio \+ exploitationRatio must be at most 1/,
    );
    assert.throws(
      () => createStrategy({ featureDimensions: ["score", "score"] }),
      /strategy\.featureDimensions: expected a list without repeats/,
    );
    assert.throws(() => createStrategy({ kind: "annealing" }), /strategy\.kind: .*islands.*gepa.*hill-climb/);
    assert.throws(() => createStrategy({ kind: "hill-climb", islands: 2 }), /strategy: .*"islands"/);
  });

  test("picks the strategy by kind; no kind is islands", () => {
    assert.equal(createStrategy({ kind: "islands" }).name, "islands");
    assert.equal(createStrategy({ islands: 2 }).name, "islands");
    assert.equal(createStrategy({ kind: "best-of-n" }).name, "best-of-n");
    assert.equal(createStrategy({ kind: "hill-climb", inspirations: 2 }).name, "hill-climb");
  });
});
