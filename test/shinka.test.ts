/**
 * shinka: novelty rejection, parent selection, crossover and island spawning
 * on hand-made populations; in the engine (instant parts), a resumed run
 * equal to an uninterrupted one; against the mock server, a crossover prompt
 * holding both parents.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Rng } from "../src/core/rng.ts";
import type { Candidate, Program, Settled } from "../src/core/types.ts";
import { parseRunConfig } from "../src/engine/config.ts";
import { startReplay } from "../src/engine/replay.ts";
import { startRun } from "../src/engine/session.ts";
import { createStrategy, jaccard, ShinkaStrategy, shingles } from "../src/search/index.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { runPicture, toyRun } from "./support/strategy-run.ts";
import { settledOk } from "./support/instant.ts";
import { type MockLlm, promptOf, startMockLlm } from "./support/mock-llm.ts";
import { mockRunConfig, tempDir, widenSample, withStore } from "./support/run-helpers.ts";

const block = (body: string) =>
  `import x from "y";\n// EVOLVE-BLOCK-START\n${body}\n// EVOLVE-BLOCK-END\nexport { x };\n`;
const GREEDY = block(
  "export function pick(items: number[]): number {\n  let best = items[0];\n  for (const i of items) if (i > best) best = i;\n  return best;\n}",
);
const SORTED = block(
  "export function pick(values: number[]): number {\n  const copy = [...values].sort((a, b) => b - a);\n  return copy.length ? copy[0] : -Infinity;\n}",
);

function program(id: string, score: number, fields: Partial<Program> = {}): Program {
  return {
    id,
    parentId: "c000000",
    code: GREEDY,
    score,
    metrics: {},
    feedback: "",
    tag: "0",
    generation: 1,
    iteration: Number(id.slice(1)),
    diff: "",
    model: "test",
    createdAt: 0,
    ...fields,
  };
}

const seedProgram = (code = GREEDY) =>
  program("c000000", 10, { parentId: null, iteration: 0, generation: 0, tag: "", code });

function candidate(id: string, code: string, tag = "0"): Candidate {
  return { id, iteration: Number(id.slice(1)), parentId: "c000000", tag, code, diff: "", model: "test" };
}

function screened(id: string, reason: string, fields: Partial<Candidate> = {}): Settled {
  return { status: "screened", candidate: { ...candidate(id, GREEDY), ...fields }, reason };
}

describe("novelty", () => {
  test("shingles ignore comments and whitespace; another algorithm shares few", () => {
    const recommented = GREEDY.replace("let best", "// the largest so far\n    let   best");
    assert.equal(jaccard(shingles(GREEDY), shingles(recommented)), 1);
    assert.ok(jaccard(shingles(GREEDY), shingles(SORTED)) < 0.3);
    // Code outside the EVOLVE-BLOCK does not count.
    assert.equal(jaccard(shingles(GREEDY), shingles(GREEDY.replace('"y"', '"z"'))), 1);
  });

  test("a near-duplicate of a program on its island is rejected with the similarity; a distinct one passes", async () => {
    const s = new ShinkaStrategy({ islands: 1 });
    s.ingest(settledOk(seedProgram()));
    const near = await s.screen(candidate("c000001", GREEDY.replace("items[0]", "items[0] /* first */")));
    assert.equal(near.pass, false);
    assert.match(near.pass ? "" : near.reason, /^too similar to c000000 \(Jaccard 1\.000 ≥ 0\.99\)$/);
    assert.deepEqual(
      near.events?.map((e) => e.kind),
      ["novelty_rejected"],
    );
    assert.deepEqual((await s.screen(candidate("c000002", SORTED))).pass, true);
    // Counted once the engine hands the screening back.
    s.ingest(screened("c000001", near.pass ? "" : near.reason));
    assert.equal(s.describe().noveltyRejected, 1);
  });

  test("only programs of the candidate's own island count", async () => {
    const s = new ShinkaStrategy({ islands: 2 });
    s.ingest(settledOk(seedProgram(SORTED)));
    s.ingest(settledOk(program("c000001", 20, { code: GREEDY, tag: "1" })));
    assert.equal((await s.screen(candidate("c000002", GREEDY, "0"))).pass, true);
    assert.equal((await s.screen(candidate("c000003", GREEDY, "1"))).pass, false);
  });
});

describe("novelty judge", () => {
  // One changed operator in the block: 0.884 alike, below the outright rejection at 0.99.
  const TWEAKED = GREEDY.replace("i > best", "i >= best");
  const judged = (from: number | undefined, replies: string[]) => {
    const s = new ShinkaStrategy({ islands: 1, noveltyJudgeFrom: from });
    s.ingest(settledOk(seedProgram()));
    const asked: { role: string; prompt: string }[] = [];
    const tools = {
      trainWorkloads: [],
      evaluate: () => Promise.reject(new Error("not used")),
      rng: new Rng(1),
      ask: async (role: string, prompt: string) => {
        asked.push({ role, prompt });
        const text = replies.shift()!;
        return text === "FAIL" ? { error: "HTTP 500", model: "m:judge" } : { text, model: "m:judge" };
      },
    };
    return { s, asked, screen: (c: Candidate) => s.screen(c, tools) };
  };

  test("a child in the band is shown with its closest program to the novelty role; only a clear same rejects it", async () => {
    const similarity = jaccard(shingles(GREEDY), shingles(TWEAKED));
    assert.equal(similarity.toFixed(3), "0.884");
    const { asked, screen } = judged(0.8, [
      "VERDICT: same\nREASON: ties do not change the largest",
      "verdict: Different\nIt keeps the last of equal values.",
      "The two look alike to me.",
      "FAIL",
    ]);
    const same = await screen(candidate("c000001", TWEAKED));
    assert.equal(same.pass, false);
    assert.equal(
      same.pass ? "" : same.reason,
      `too similar to c000000: judged not meaningfully different by m:judge (Jaccard ${similarity.toFixed(3)}): ties do not change the largest`,
    );
    assert.equal(asked[0]!.role, "novelty");
    assert.match(
      asked[0]!.prompt,
      /## Existing program \(c000000\)\n\n```ts\nexport function pick[\s\S]*i > best[\s\S]*## New candidate \(c000001\)\n\n```ts\nexport function pick[\s\S]*i >= best/,
    );
    assert.doesNotMatch(asked[0]!.prompt, /import x/, "only the evolving part is shown");
    const verdicts: unknown[] = [same.events?.[0]?.data];
    for (const id of ["c000002", "c000003", "c000004"]) {
      const v = await screen(candidate(id, TWEAKED));
      assert.equal(v.pass, true, id);
      verdicts.push(v.events?.[0]?.data);
    }
    assert.deepEqual(
      verdicts.map((d) => {
        const { verdict, reason, model, similarTo } = d as Record<string, string>;
        return [verdict, reason, model, similarTo];
      }),
      [
        ["same", "ties do not change the largest", "m:judge", "c000000"],
        ["different", "It keeps the last of equal values.", "m:judge", "c000000"],
        [
          "unclear",
          'the reply does not begin with "VERDICT: same" or "VERDICT: different": "The two look alike to me."',
          "m:judge",
          "c000000",
        ],
        ["failed", "the novelty model could not be asked: HTTP 500", "m:judge", "c000000"],
      ],
    );
  });

  test("outside the band, or with no band, no judge is asked", async () => {
    const below = judged(0.95, []);
    assert.deepEqual(await below.screen(candidate("c000001", TWEAKED)), { pass: true });
    assert.deepEqual(await below.screen(candidate("c000002", SORTED)), { pass: true });
    const none = judged(undefined, []);
    assert.deepEqual(await none.screen(candidate("c000003", TWEAKED)), { pass: true });
    // At or above `novelty` the similarity alone rejects: no judge either.
    const dup = await below.screen(candidate("c000004", GREEDY));
    assert.equal(dup.pass, false);
    assert.equal(below.asked.length + none.asked.length, 0);
  });

  test("the band must lie below novelty", () => {
    assert.throws(
      () => createStrategy({ kind: "shinka", novelty: 0.9, noveltyJudgeFrom: 0.9 }),
      /^Error: strategy\.noveltyJudgeFrom: must be below strategy\.novelty/,
    );
  });
});

describe("parent selection", () => {
  const population = (options: ConstructorParameters<typeof ShinkaStrategy>[0]) => {
    const s = new ShinkaStrategy({ islands: 1, crossoverRate: 0, ...options });
    s.ingest(settledOk(seedProgram()));
    s.ingest(settledOk(program("c000001", 50, { code: SORTED })));
    s.ingest(settledOk(program("c000002", 30, { code: `${SORTED}\n` })));
    return s;
  };
  const counts = (s: ShinkaStrategy, draws = 6000) => {
    const rng = new Rng(3);
    const n: Record<string, number> = {};
    for (let i = 0; i < draws; i++) {
      const id = s.select(rng).parent.id;
      n[id] = (n[id] ?? 0) + 1;
    }
    return n;
  };

  test("hill-climb always takes the island's best", () => {
    assert.deepEqual(counts(population({ parentSelection: "hill-climb" }), 200), { c000001: 200 });
  });

  test("power-law: rank r is drawn with weight r^−α", () => {
    const n = counts(population({ parentSelection: "power-law", powerLaw: 1 }));
    // Weights 1, 1/2, 1/3 over ranks c000001, c000002, c000000.
    assert.ok(Math.abs(n.c000001! / n.c000002! - 2) < 0.2, JSON.stringify(n));
    assert.ok(Math.abs(n.c000001! / n.c000000! - 3) < 0.35, JSON.stringify(n));
  });

  test("weighted: a parent's share falls with its children as 1/(1 + children)", () => {
    const s = population({ parentSelection: "weighted" });
    const before = counts(s);
    for (let i = 0; i < 3; i++) s.ingest(screened(`c00001${i}`, "x", { parentId: "c000001" }));
    const after = counts(s);
    // c000001 now has 3 children: its weight is a quarter of what it was.
    const share = (n: Record<string, number>) => n.c000001! / 6000;
    const w = 1 / (1 + Math.exp((-10 * (50 - 30)) / 40));
    const others = 1 / (1 + Math.exp((-10 * (30 - 30)) / 40)) + 1 / (1 + Math.exp((-10 * (10 - 30)) / 40));
    assert.ok(Math.abs(share(before) - w / (w + others)) < 0.03, `${share(before)}`);
    assert.ok(Math.abs(share(after) - w / 4 / (w / 4 + others)) < 0.03, `${share(after)}`);
  });

  test("crossover: a second parent from the same island, in the directive", () => {
    const s = population({ parentSelection: "hill-climb", crossoverRate: 1 });
    const pick = s.select(new Rng(1));
    assert.equal(pick.directive?.operation, "crossover");
    assert.ok(pick.directive?.secondParent && pick.directive.secondParent.id !== pick.parent.id);
    assert.ok(!pick.inspirations.some((p) => p.id === pick.directive?.secondParent?.id));
  });
});

test("an island is spawned from the best when every island has stagnated", () => {
  const s = new ShinkaStrategy({ islands: 2, stagnation: 2, maxIslands: 3 });
  s.ingest(settledOk(seedProgram()));
  assert.deepEqual(s.ingest(settledOk(program("c000001", 40, { tag: "0" }))), []);
  // Island 1: two children, no better than its best (the seed): stagnant. Island 0: one child below 40.
  s.ingest(settledOk(program("c000002", 5, { tag: "1" })));
  s.ingest(screened("c000003", "x", { tag: "1" }));
  assert.equal(s.describe().islands.length, 2);
  s.ingest({ ...settledOk(program("c000004", 1, { tag: "0" })) });
  const events = s.ingest({ ...settledOk(program("c000005", 2, { tag: "0" })) });
  assert.deepEqual(events, [
    {
      kind: "island_spawned",
      data: { island: 2, from: "c000001", reason: "every island went 2 children without a new best" },
    },
  ]);
  assert.deepEqual(
    s.describe().islands.map((i) => [i.size, i.best.id]),
    [
      [4, "c000001"],
      [2, "c000000"],
      [1, "c000001"],
    ],
  );
});

describe("shinka in the engine", () => {
  const strategy = { kind: "shinka", islands: 2, stagnation: 3, crossoverRate: 0.3 };

  test("a resumed run equals an uninterrupted one, and a fresh strategy rebuilds the same islands", async () => {
    const straight = new MemoryStore();
    await toyRun(straight, strategy, 16).run();
    const store = new MemoryStore();
    await toyRun(store, strategy, 16, "c000006").run();
    assert.ok((await store.summary()).iterations < 16, "stopped early");
    await toyRun(store, strategy, 16).run();
    assert.deepEqual(await runPicture(store), await runPicture(straight));
    const rebuilt = async (s: MemoryStore) => {
      const fresh = createStrategy(strategy) as ShinkaStrategy;
      for (const entry of await s.history()) {
        if ("settled" in entry) fresh.ingest(entry.settled);
        else fresh.replay({ kind: entry.strategyEvent.kind, data: entry.strategyEvent.data });
      }
      return fresh.describe();
    };
    assert.deepEqual(await rebuilt(store), await rebuilt(straight));
    assert.equal((await rebuilt(straight)).size, (await straight.summary()).programs);
  });
});

describe("shinka against the mock model", () => {
  let mock: MockLlm;
  const prompts: string[] = [];
  before(async () => {
    mock = await startMockLlm({
      responder: (body) => {
        prompts.push(promptOf(body));
        return widenSample(body);
      },
    });
  });
  after(() => mock.close());

  test("a crossover prompt holds both parents and says to combine them", async () => {
    const out = join(tempDir("shinka"), "run");
    const config = mockRunConfig(mock.url, out, {
      strategy: { kind: "shinka", islands: 1, crossoverRate: 1, parentSelection: "hill-climb" },
      // Ordered: each selection sees the child before it, so the island has a second parent to draw.
      concurrency: { proposals: 1, evaluations: 1, ordered: true },
      budget: { iterations: 3 },
    });
    await (await startRun(config)).run();
    assert.equal(prompts.length, 3);
    // The first child has no second parent to draw (the island holds only the seed); the later ones do.
    assert.doesNotMatch(prompts[0]!, /# Second parent/);
    for (const p of prompts.slice(1)) {
      const parent = /# Current program[\s\S]*?const SAMPLE_SIZE = (\d+);/.exec(p)?.[1];
      const second = /# Second parent \(c\d+\)[\s\S]*?const SAMPLE_SIZE = (\d+);/.exec(p)?.[1];
      assert.ok(parent && second && parent !== second, `both parents in the prompt: ${p}`);
      assert.match(p, /Crossover[\s\S]*Combine the ideas/);
    }
  });
});

describe("shinka novelty judge against the mock model", () => {
  let mock: MockLlm;
  // The judge's replies in turn; each run's coder widens the sample by 7 (one constant: 0.974 alike).
  let verdicts: string[] = [];
  const judgePrompts: string[] = [];
  before(async () => {
    mock = await startMockLlm({
      responder: (body) => {
        if (body.model !== "mock-judge") return widenSample(body);
        judgePrompts.push(promptOf(body));
        return verdicts.shift() ?? "VERDICT: different\nout of script";
      },
    });
  });
  after(() => mock.close());

  const judgeRun = (out: string, noveltyJudgeFrom: number, iterations: number) => {
    const price = { inputPerMTok: 1, outputPerMTok: 4 };
    return parseRunConfig(
      {
        task: "txn-scheduling",
        models: [
          { model: "openai:mock-coder", baseUrl: mock.url, price },
          { model: "openai:mock-judge", baseUrl: mock.url, price, roles: ["novelty"] },
        ],
        strategy: {
          kind: "shinka",
          islands: 1,
          parentSelection: "hill-climb",
          crossoverRate: 0,
          metaInterval: 0,
          noveltyJudgeFrom,
        },
        concurrency: { proposals: 1, evaluations: 1, ordered: true },
        budget: { iterations },
        out,
      },
      "test config",
    );
  };

  /** Per candidate: how it settled, the judge's verdict, and the novelty calls charged to it. */
  const outcome = (out: string) =>
    withStore(out, async (store) => {
      const events = await store.events();
      const ledger = await store.ledger();
      return ["c000001", "c000002", "c000003"].map((id) => {
        const settled = events.find(
          (e) =>
            (e.type === "candidate_screened" || e.type === "evaluation_finished") && e.candidateId === id,
        );
        const judged = events.find(
          (e) =>
            e.type === "strategy_event" &&
            e.kind === "novelty_judged" &&
            (e.data as { candidate: string }).candidate === id,
        );
        const calls = ledger.filter((c) => c.role === "novelty" && c.candidateId === id);
        const stored = events.filter(
          (e) => e.type === "model_called" && e.role === "novelty" && e.candidateId === id,
        );
        return {
          settled: settled?.type === "candidate_screened" ? settled.reason : settled?.type,
          verdict: judged?.type === "strategy_event" ? (judged.data as { verdict: string }).verdict : null,
          calls: calls.map((c) => [c.iteration, c.model, c.usage.costUsd > 0]),
          // Stored in the append of the settlement the call decided: the call, the verdict, the settlement.
          storedWithSettlement: stored.every(
            (e) => settled !== undefined && e.at === settled.at && settled.seq - e.seq === 2,
          ),
        };
      });
    });

  test("in the band the novelty model decides: same is screened out, different and unclear are evaluated; charged to role novelty; a replay asks nothing", async () => {
    verdicts = [
      "VERDICT: same\nREASON: only the sample size moved",
      "VERDICT: different\nA larger sample finds better next transactions.",
      "They are quite different, I think.",
    ];
    judgePrompts.length = 0;
    const out = join(tempDir("shinka-judge"), "run");
    await (await startRun(judgeRun(out, 0.95, 3))).run();
    const seen = await outcome(out);
    assert.deepEqual(
      seen.map((c) => [c.settled, c.verdict, c.calls]),
      [
        [
          "too similar to c000000: judged not meaningfully different by openai:mock-judge (Jaccard 0.974): only the sample size moved",
          "same",
          [[1, "openai:mock-judge", true]],
        ],
        ["evaluation_finished", "different", [[2, "openai:mock-judge", true]]],
        ["evaluation_finished", "unclear", [[3, "openai:mock-judge", true]]],
      ],
    );
    assert.ok(seen.every((c) => c.storedWithSettlement));
    // The judge saw both programs: the seed's sample of 10 and the child's of 17.
    assert.match(
      judgePrompts[0]!,
      /## Existing program \(c000000\)[\s\S]*SAMPLE_SIZE = 10;[\s\S]*## New candidate \(c000001\)[\s\S]*SAMPLE_SIZE = 17;/,
    );
    const unclear = await withStore(out, async (store) =>
      (await store.events()).find(
        (e) => e.type === "strategy_event" && (e.data as { verdict?: string }).verdict === "unclear",
      ),
    );
    assert.match(
      JSON.stringify(unclear),
      /does not begin with \\"VERDICT: same\\" or \\"VERDICT: different\\": \\"They are quite different, I think\.\\"/,
    );

    // A replay answers the judge from the recording: the same verdicts, no request reaches the server.
    const requests = mock.requests.length;
    const replayed = join(tempDir("shinka-judge"), "replayed");
    assert.equal((await (await startReplay(out, replayed, { env: {} })).run()).reason, "iterations");
    assert.equal(mock.requests.length, requests);
    assert.deepEqual(await outcome(replayed), seen);
  });

  test("outside the band no judge is asked", async () => {
    verdicts = [];
    judgePrompts.length = 0;
    const out = join(tempDir("shinka-judge"), "below");
    // 0.974 alike is below a band that starts at 0.98.
    await (await startRun(judgeRun(out, 0.98, 2))).run();
    const seen = await outcome(out);
    assert.deepEqual(
      seen.slice(0, 2).map((c) => [c.settled, c.verdict, c.calls]),
      [
        ["evaluation_finished", null, []],
        ["evaluation_finished", null, []],
      ],
    );
    assert.equal(judgePrompts.length, 0);
  });
});

describe("shinka meta-recommendations", () => {
  let mock: MockLlm;
  const seen: { model: string; prompt: string }[] = [];
  before(async () => {
    mock = await startMockLlm({
      responder: (body) => {
        seen.push({ model: body.model, prompt: promptOf(body) });
        return body.model === "mock-meta"
          ? "INSIGHT: larger samples helped; keep widening"
          : widenSample(body);
      },
    });
  });
  after(() => mock.close());

  test("every metaInterval children the meta model writes insights, charged to role meta, that later prompts and status show", async () => {
    const out = join(tempDir("shinka-meta"), "run");
    const price = { inputPerMTok: 1, outputPerMTok: 4 };
    const config = parseRunConfig(
      {
        task: "txn-scheduling",
        models: [
          { model: "openai:mock-coder", baseUrl: mock.url, price },
          { model: "openai:mock-meta", baseUrl: mock.url, price, roles: ["meta"] },
        ],
        strategy: { kind: "shinka", islands: 1, metaInterval: 2, crossoverRate: 0 },
        concurrency: { proposals: 1, evaluations: 1, ordered: true },
        budget: { iterations: 5 },
        out,
      },
      "test config",
    );
    await (await startRun(config)).run();
    const ledger = await withStore(out, (s) => s.ledger());
    const meta = ledger.filter((c) => c.role === "meta");
    // After children 2 and 4 settled: before proposals 3 and 5.
    assert.deepEqual(
      meta.map((c) => [c.iteration, c.model]),
      [
        [3, "openai:mock-meta"],
        [5, "openai:mock-meta"],
      ],
    );
    assert.ok(meta.every((c) => c.usage.costUsd > 0));
    const metaPrompt = seen.find((s) => s.model === "mock-meta")!.prompt;
    assert.match(metaPrompt, /c000002 from c00000\d: score [\d.]+ \(\+[\d.]+\)/);
    const mutations = seen.filter((s) => s.model === "mock-coder").map((s) => s.prompt);
    assert.equal(mutations.length, 5);
    assert.doesNotMatch(mutations[1]!, /INSIGHT/, "nothing to show before the first meta call");
    assert.match(mutations[2]!, /Insights from recent generations[\s\S]*INSIGHT: larger samples helped/);
    assert.match(mutations[3]!, /Insights from earlier generations[\s\S]*INSIGHT: larger samples helped/);
    const status = spawnSync(
      process.execPath,
      [join(import.meta.dirname, "..", "bin", "adrs.js"), "status", out],
      {
        encoding: "utf8",
      },
    );
    assert.match(
      status.stdout,
      /insights +\(latest meta-recommendations, by openai:mock-meta\)\n +INSIGHT: larger samples/,
    );
    assert.match(status.stdout, /by role[\s\S]*meta +2 calls/);
  });
});
