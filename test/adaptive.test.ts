/**
 * adaptive: the bandit shifts proposals to the island that improves, and
 * to the cheaper one when improvements are equal (gain per dollar); the
 * paradigm shift comes after the stall and only then, as a full rewrite by
 * the paradigm role; intensity follows improvement; in the engine, a resumed
 * run equals an uninterrupted one; against the mock server, the paradigm call
 * is charged to role paradigm.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Rng } from "../src/core/rng.ts";
import type { Program, Settled } from "../src/core/types.ts";
import { parseRunConfig } from "../src/engine/config.ts";
import { startRun } from "../src/engine/session.ts";
import { AdaptiveStrategy } from "../src/search/index.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { runPicture, toyRun } from "./support/strategy-run.ts";
import { settledOk } from "./support/instant.ts";
import { type MockLlm, promptOf, startMockLlm } from "./support/mock-llm.ts";
import { tempDir, withStore } from "./support/run-helpers.ts";

let n = 0;
function child(tag: string, score: number, parentId = "c000000", costUsd?: number): Settled {
  n++;
  const id = `c${String(n).padStart(6, "0")}`;
  const program: Program = {
    id,
    parentId,
    code: `// ${id}`,
    score,
    metrics: {},
    feedback: "",
    tag,
    generation: 1,
    iteration: n,
    diff: "",
    model: "m",
    createdAt: 0,
  };
  const settled = settledOk(program);
  if (costUsd !== undefined) settled.candidate.costUsd = costUsd;
  return settled;
}

function seeded(options: ConstructorParameters<typeof AdaptiveStrategy>[0] = {}): AdaptiveStrategy {
  n = 0;
  const s = new AdaptiveStrategy(options);
  s.ingest(
    settledOk({
      id: "c000000",
      parentId: null,
      code: "seed",
      score: 10,
      metrics: {},
      feedback: "",
      tag: "",
      generation: 0,
      iteration: 0,
      diff: "",
      model: "initial",
      createdAt: 0,
    }),
  );
  return s;
}

test("the bandit shifts proposals to the island whose children improve", () => {
  const s = seeded({ islands: 3, paradigmAfter: 1000, exploration: 0.5 });
  const rng = new Rng(1);
  const chosen: number[] = [];
  let score = 10;
  for (let i = 0; i < 60; i++) {
    const pick = s.select(rng);
    const island = Number(pick.tag);
    chosen.push(island);
    // Island 2's children keep improving; the others' never do.
    if (island === 2) score += 1;
    s.ingest(child(pick.tag, island === 2 ? score : 5));
  }
  const last = chosen.slice(-30);
  assert.ok(
    last.filter((i) => i === 2).length >= 24,
    `island 2 got ${last.filter((i) => i === 2).length} of 30`,
  );
  assert.deepEqual(chosen.slice(0, 3).sort(), [0, 1, 2], "each island is tried first");
});

test("with equal improvements the bandit prefers the island whose children cost less; free children count per child", () => {
  const run = (costs: [number, number]) => {
    const s = seeded({ islands: 2, paradigmAfter: 1000 });
    const rng = new Rng(4);
    const best = [10, 10];
    const chosen: number[] = [];
    for (let i = 0; i < 60; i++) {
      const pick = s.select(rng);
      const island = Number(pick.tag);
      chosen.push(island);
      // Every child beats its island's best by one point; only the dollars differ.
      best[island]! += 1;
      s.ingest(child(pick.tag, best[island]!, "c000000", costs[island]));
    }
    return chosen.slice(-30).filter((i) => i === 0).length;
  };
  const cheap = run([0.01, 0.04]);
  assert.ok(cheap >= 26, `the cheaper island got ${cheap} of the last 30`);
  // Free children (the tuner) are charged a nominal floor: equal gain per child, an even split.
  const free = run([0, 0]);
  assert.ok(free >= 13 && free <= 17, `island 0 got ${free} of the last 30 with free children`);
  const s = seeded({ islands: 1 });
  s.ingest(child("0", 11, "c000000", 0.25));
  assert.equal(s.describe().islands[0]?.costUsd, 0.25);
});

test("the paradigm shift comes after the stall, once, as a full rewrite by the paradigm role", () => {
  const s = seeded({ islands: 1, paradigmAfter: 4 });
  const rng = new Rng(2);
  const paradigms: number[] = [];
  for (let i = 1; i <= 14; i++) {
    const pick = s.select(rng);
    if (pick.directive?.operation === "paradigm") {
      paradigms.push(i);
      assert.equal(pick.directive.role, "paradigm");
      assert.equal(pick.directive.editMode, "full");
      assert.equal(pick.parent.id, s.best()!.id);
      assert.match(
        pick.events?.[0]?.data ? JSON.stringify(pick.events[0].data) : "",
        /no new best in 4 settled children/,
      );
    }
    // Child 9 improves (a new best), every other child does not.
    s.ingest(child(pick.tag, i === 9 ? 50 : 1));
  }
  // Stalled after children 1–4: proposal 5 is the shift; none again until the next stall (10–13): 14.
  assert.deepEqual(paradigms, [5, 14]);
  assert.match(s.describe().ideas[0] ?? "", /^c000005: score 1\.00/);
});

test("intensity rises when children stop improving and falls when one improves, each change an event", () => {
  const s = seeded({ islands: 1, window: 3, paradigmAfter: 1000 });
  const rng = new Rng(3);
  const levels: string[] = [];
  const temps: number[] = [];
  for (let i = 1; i <= 8; i++) {
    const pick = s.select(rng);
    for (const e of pick.events ?? [])
      if (e.kind === "intensity") levels.push(`${i}:${(e.data as { level: string }).level}`);
    temps.push(pick.directive?.temperature ?? -1);
    s.ingest(child(pick.tag, i === 6 ? 60 : 1));
  }
  assert.deepEqual(levels, ["4:explore", "7:exploit"]);
  assert.deepEqual(temps, [0.4, 0.4, 0.4, 1, 1, 1, 0.4, 0.4]);
});

describe("adaptive in the engine", () => {
  const strategy = { kind: "adaptive", islands: 2, window: 2, paradigmAfter: 3 };

  test("a resumed run equals an uninterrupted one, decisions and all", async () => {
    const straight = new MemoryStore();
    await toyRun(straight, strategy, 16).run();
    const kinds = (await runPicture(straight)).events.map(([k]) => k);
    assert.ok(kinds.includes("paradigm_shift") && kinds.includes("island_chosen"), kinds.join(","));
    const store = new MemoryStore();
    await toyRun(store, strategy, 16, "c000007").run();
    assert.ok((await store.summary()).iterations < 16, "stopped early");
    await toyRun(store, strategy, 16).run();
    assert.deepEqual(await runPicture(store), await runPicture(straight));
  });
});

describe("adaptive against the mock model", () => {
  let mock: MockLlm;
  const prompts: { model: string; prompt: string }[] = [];
  before(async () => {
    mock = await startMockLlm({
      responder: (body) => {
        prompts.push({ model: body.model, prompt: promptOf(body) });
        if (body.model === "mock-big")
          return `A different idea.\n\n\`\`\`ts\n${promptOf(body).match(/```ts\n([\s\S]*?)```/)?.[1] ?? ""}\`\`\``;
        return "I have no edit.";
      },
    });
  });
  after(() => mock.close());

  test("the paradigm shift is asked of the paradigm model, charged to role paradigm, after the stall only", async () => {
    const out = join(tempDir("adaptive"), "run");
    const price = { inputPerMTok: 1, outputPerMTok: 4 };
    const config = parseRunConfig(
      {
        task: "txn-scheduling",
        models: [
          { model: "openai:mock-small", baseUrl: mock.url, price },
          { model: "openai:mock-big", baseUrl: mock.url, price, roles: ["paradigm"] },
        ],
        strategy: { kind: "adaptive", islands: 1, paradigmAfter: 3 },
        concurrency: { proposals: 1, evaluations: 1, ordered: true },
        budget: { iterations: 5 },
        out,
      },
      "test config",
    );
    await (await startRun(config)).run();
    await withStore(out, async (store) => {
      const calls = (await store.ledger()).filter((c) => c.role === "paradigm" || c.role === "mutation");
      // Three rejected edits (no improvement), then the paradigm shift on iteration 4 only.
      assert.deepEqual(
        calls.map((c) => [c.iteration, c.role, c.model]),
        [
          [1, "mutation", "openai:mock-small"],
          [2, "mutation", "openai:mock-small"],
          [3, "mutation", "openai:mock-small"],
          [4, "paradigm", "openai:mock-big"],
          [5, "mutation", "openai:mock-small"],
        ],
      );
      const shift = (await store.events()).find(
        (e) => e.type === "strategy_event" && e.kind === "paradigm_shift",
      );
      assert.ok(shift, "the decision is stored with its reason");
      // The bandit sees each child's dollars live, as stored: every choice counts what the children before it cost.
      let spent = 0;
      let before = 0;
      const seen: number[][] = [];
      for (const e of await store.events()) {
        if (e.type === "candidate_proposed") {
          before = spent;
          spent += e.usage.costUsd;
        } else if (e.type === "strategy_event" && e.kind === "island_chosen") {
          seen.push([Number(before.toFixed(9)), ...(e.data as { costUsd: number[] }).costUsd]);
        }
      }
      assert.equal(seen.length, 4);
      assert.ok(seen.slice(1).every(([b]) => b! > 0), JSON.stringify(seen));
      for (const [b, island] of seen) assert.equal(island, b);
    });
    const paradigm = prompts.find((p) => p.model === "mock-big")!;
    assert.match(paradigm.prompt, /A different idea[\s\S]*Ideas already tried this way:\n- none yet/);
  });
});
