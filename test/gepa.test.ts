import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Rng } from "../src/core/rng.ts";
import type { Evaluation, Program } from "../src/core/types.ts";
import { parseRunConfig } from "../src/engine/config.ts";
import { Engine } from "../src/engine/engine.ts";
import { createStrategy, GepaStrategy, type ScreenTools, TunerProposer } from "../src/search/index.ts";
import { mergeChanges } from "../src/search/merge.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { evaluationOf, InstantEvaluator, settledOk, toyTask } from "./support/instant.ts";

const W = ["w0", "w1", "w2"];

function program(id: string, parentId: string | null, code = `// ${id}\n`, tag = ""): Program {
  return {
    id,
    parentId,
    code,
    score: 0,
    metrics: {},
    feedback: "",
    tag,
    generation: 0,
    iteration: 0,
    diff: "",
    model: "m",
    createdAt: 0,
  };
}

/** Feeds a program with these per-workload scores (its score: their mean). */
function feed(s: GepaStrategy, p: Program, scores: number[]): void {
  p.score = scores.reduce((a, b) => a + b, 0) / scores.length;
  s.ingest(settledOk(p, Object.fromEntries(W.map((w, i) => [w, scores[i]!]))));
}

describe("gepa: the Pareto front", () => {
  test("a program is on the front unless another is at least as good everywhere and better somewhere", () => {
    const s = new GepaStrategy();
    feed(s, program("seed", null), [20, 20, 20]);
    feed(s, program("a", "seed"), [90, 10, 50]);
    feed(s, program("b", "seed"), [10, 90, 50]);
    feed(s, program("c", "seed"), [50, 50, 50]);
    feed(s, program("d", "seed"), [40, 40, 40]);
    feed(s, program("e", "seed"), [90, 10, 50]);
    assert.deepEqual(
      s.frontier().map((f) => [f.id, f.leads]),
      [
        ["a", 2],
        ["b", 2],
        ["c", 1],
        ["e", 2],
      ],
    );
    feed(s, program("f", "c"), [95, 95, 95]);
    assert.deepEqual(
      s.frontier().map((f) => f.id),
      ["f"],
    );
    assert.equal(s.best()?.id, "f");
  });

  test("parents are drawn in proportion to the workloads they lead; dominated programs never", () => {
    const s = new GepaStrategy({ maxMerges: 0 });
    feed(s, program("seed", null), [20, 20, 20]);
    feed(s, program("a", "seed"), [90, 10, 50]);
    feed(s, program("b", "seed"), [10, 90, 50]);
    feed(s, program("c", "seed"), [50, 50, 50]);
    feed(s, program("d", "seed"), [40, 40, 40]);
    const rng = new Rng(3);
    const counts = new Map<string, number>();
    const n = 7000;
    for (let i = 0; i < n; i++) {
      const sel = s.select(rng);
      counts.set(sel.parent.id, (counts.get(sel.parent.id) ?? 0) + 1);
    }
    // Leads: a 2 (w0, w2), b 2 (w1, w2), c 1 (w2) of 5.
    for (const [id, share] of [
      ["a", 2 / 5],
      ["b", 2 / 5],
      ["c", 1 / 5],
    ] as const) {
      const got = (counts.get(id) ?? 0) / n;
      assert.ok(Math.abs(got - share) < 0.03, `${id}: ${got} vs ${share}`);
    }
    assert.equal(counts.get("d"), undefined);
    assert.equal(counts.get("seed"), undefined);
  });

  test("a reflective selection asks to diagnose first, from the parent's results on its minibatch", () => {
    const s = new GepaStrategy({ minibatch: 2, maxMerges: 0 });
    feed(s, program("seed", null), [20, 30, 40]);
    const sel = s.select(new Rng(1));
    const tag = JSON.parse(sel.tag) as { op: string; minibatch: string[] };
    assert.equal(tag.op, "reflect");
    assert.equal(tag.minibatch.length, 2);
    assert.equal(sel.directive?.operation, "reflect");
    const [results, how] = sel.directive?.sections ?? [];
    for (const w of tag.minibatch) assert.match(results?.body ?? "", new RegExp(`- ${w}: score \\d+`));
    assert.match(how?.body ?? "", /^First diagnose/);
  });
});

describe("gepa: merges", () => {
  const ancestor = "// start\nconst A = 1;\nconst gap = 0;\nconst B = 1;\n// end\n";
  const left = ancestor.replace("const A = 1;", "const A = 2;");
  const right = ancestor.replace("const B = 1;", "const B = 3;");

  test("disjoint changes since the common ancestor combine; overlapping or contained ones do not", () => {
    const merged = mergeChanges(ancestor, left, right);
    assert.deepEqual(merged, { ok: true, code: left.replace("const B = 1;", "const B = 3;"), hunks: 2 });
    const clash = mergeChanges(ancestor, left, ancestor.replace("const A = 1;", "const A = 5;"));
    assert.equal(clash.ok, false);
    assert.match(clash.ok ? "" : clash.reason, /near line 2/);
    const next = mergeChanges(ancestor, left, ancestor.replace("const gap = 0;", "const gap = 9;"));
    assert.equal(next.ok, false, "a change on the neighbouring line counts as overlapping");
    assert.equal(mergeChanges(ancestor, left, left).ok, false);
  });

  test("after a child passes the gate, two front programs with a common ancestor are merged without a model", () => {
    const s = new GepaStrategy();
    const reflect = JSON.stringify({ op: "reflect", minibatch: ["w0"] });
    feed(s, program("seed", null, ancestor), [20, 20, 20]);
    feed(s, program("l", "seed", left, reflect), [90, 10, 30]);
    feed(s, program("r", "seed", right, reflect), [10, 90, 30]);
    const sel = s.select(new Rng(4));
    assert.equal(sel.directive?.operation, "merge");
    assert.equal(sel.directive?.child?.code, left.replace("const B = 1;", "const B = 3;"));
    assert.deepEqual([sel.parent.id, sel.directive?.secondParent?.id].sort(), ["l", "r"]);
    assert.deepEqual(
      sel.events?.map((e) => e.kind),
      ["merge_chosen"],
    );
    // The pair is not merged twice, and the decision replays.
    const again = s.select(new Rng(4));
    assert.notEqual(again.directive?.operation, "merge");
    const resumed = new GepaStrategy();
    feed(resumed, program("seed", null, ancestor), [20, 20, 20]);
    feed(resumed, program("l", "seed", left, reflect), [90, 10, 30]);
    feed(resumed, program("r", "seed", right, reflect), [10, 90, 30]);
    for (const e of [...(sel.events ?? []), ...(again.events ?? [])]) resumed.replay(e);
    assert.deepEqual(resumed.describe(), s.describe());
  });
});

describe("gepa: the minibatch gate", () => {
  const tools = (scores: Record<string, number>, status: Evaluation["status"] = "ok"): ScreenTools => ({
    trainWorkloads: W,
    rng: new Rng(1),
    evaluate: async (_code, workloads) => ({
      ...evaluationOf(
        workloads.map((w) => ({ workload: w, valid: true, score: scores[w] ?? 0, metrics: {} })),
      ),
      status,
    }),
  });
  const candidate = (tag: object, parentId = "p") => ({
    id: "c1",
    iteration: 1,
    parentId,
    tag: JSON.stringify(tag),
    code: "x",
    diff: "",
    model: "m",
  });
  const s = new GepaStrategy();
  feed(s, program("seed", null), [20, 20, 20]);
  feed(s, program("p", "seed"), [50, 40, 30]);
  feed(s, program("q", "seed"), [10, 60, 30]);

  test("a child goes on only if it beats its parent on the minibatch; the gate is recorded either way", async () => {
    const tag = { op: "reflect", minibatch: ["w0", "w1"] };
    const pass = await s.screen(candidate(tag), tools({ w0: 50, w1: 41 }));
    assert.equal(pass.pass, true);
    assert.deepEqual(pass.events?.[0]?.data, {
      candidate: "c1",
      op: "reflect",
      minibatch: ["w0", "w1"],
      child: [50, 41],
      parents: ["p"],
      parentSums: [90],
      passed: true,
    });
    const tie = await s.screen(candidate(tag), tools({ w0: 50, w1: 40 }));
    assert.equal(tie.pass, false);
    assert.match(
      tie.pass ? "" : tie.reason,
      /minibatch gate: scored 90 on the minibatch w0, w1, not above its parent's 90/,
    );
    const failed = await s.screen(candidate(tag), tools({}, "error"));
    assert.match(failed.pass ? "" : failed.reason, /error on the minibatch/);
  });

  test("a merge must do at least as well as the better of its two parents", async () => {
    const tag = { op: "merge", minibatch: ["w1"], parents: ["p", "q"] };
    assert.equal((await s.screen(candidate(tag), tools({ w1: 60 }))).pass, true);
    assert.equal((await s.screen(candidate(tag), tools({ w1: 59 }))).pass, false);
  });
});

describe("gepa in the engine", () => {
  const config = () =>
    parseRunConfig(
      {
        task: "toy",
        strategy: { kind: "gepa", minibatch: 2 },
        budget: { iterations: 14 },
        // Ordered: a resumed run equals an uninterrupted one only when neither depends on timing.
        concurrency: { proposals: 1, evaluations: 1, ordered: true },
        seed: 5,
      },
      "test",
    );
  const run = (store: MemoryStore, stopAt?: string) => {
    const c = config();
    const e: Engine = new Engine({
      config: c,
      task: toyTask(),
      store,
      strategy: createStrategy(c.strategy),
      proposer: new TunerProposer(),
      queue: new InstantEvaluator({ train: 4 }),
      ...(stopAt
        ? {
            onEvent: (ev) => {
              const settled = ev.type === "evaluation_finished" || ev.type === "candidate_screened";
              if (settled && ev.candidateId >= stopAt) e.stop("interrupted");
            },
          }
        : {}),
    });
    return { engine: e };
  };

  test("a gepa run screens children on minibatches, and a resumed run rebuilds the same front", async () => {
    const straight = new MemoryStore();
    await run(straight).engine.run();
    const summary = await straight.summary();
    assert.equal(summary.iterations, 14);
    assert.ok(summary.screened > 0, "the gate turned some children away");
    const gates = (await straight.events()).filter((e) => e.type === "strategy_event" && e.kind === "gate");
    assert.ok(gates.length >= 13, `${gates.length} gates recorded`);

    const store = new MemoryStore();
    await run(store, "c000005").engine.run();
    assert.ok((await store.summary()).iterations < 14, "stopped early");
    await run(store).engine.run();
    const picture = async (s: MemoryStore) => ({
      programs: (await s.programs()).map((p) => [p.id, p.parentId, p.tag, p.score]),
      events: (await s.events()).flatMap((e) => (e.type === "strategy_event" ? [[e.kind, e.data]] : [])),
    });
    assert.deepEqual(await picture(store), await picture(straight));
    // The front a fresh strategy rebuilds from the history equals the live one's.
    const rebuilt = (s: MemoryStore) =>
      s.history().then((h) => {
        const g = createStrategy(config().strategy) as GepaStrategy;
        for (const entry of h) {
          if ("settled" in entry) g.ingest(entry.settled);
          else g.replay({ kind: entry.strategyEvent.kind, data: entry.strategyEvent.data });
        }
        return g.describe();
      });
    assert.deepEqual(await rebuilt(store), await rebuilt(straight));
  });
});
