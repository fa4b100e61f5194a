import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError, parseRunConfig, resolveRunConfig } from "../src/engine/config.ts";
import { createStrategy, ISLANDS_DEFAULTS, type IslandsStrategy } from "../src/search/index.ts";

const parse = (strategy: unknown) => parseRunConfig({ task: "t", strategy }, "run.yaml");

test("strategy: a kind and its options; no kind is islands, as in configs and runs from before kinds", () => {
  assert.deepEqual(parse({ kind: "hill-climb" }).strategy, { kind: "hill-climb", inspirations: 0 });
  assert.deepEqual(parse({ kind: "gepa" }).strategy, { kind: "gepa", minibatch: 3, maxMerges: 5 });
  assert.deepEqual(parse({ kind: "best-of-n", inspirations: 2 }).strategy, {
    kind: "best-of-n",
    inspirations: 2,
  });
  assert.deepEqual(parse({ islands: 2 }).strategy, { ...ISLANDS_DEFAULTS, islands: 2, kind: "islands" });
  assert.deepEqual(parseRunConfig({ task: "t" }, "run.yaml").strategy, {
    ...ISLANDS_DEFAULTS,
    kind: "islands",
  });
});

test("strategy defaults have one source: the config and the strategy built from code agree", () => {
  const fromConfig = parse({ populationSize: 1 }).strategy;
  const fromCode = createStrategy({ populationSize: 1 }) as IslandsStrategy;
  assert.deepEqual({ ...fromCode.options, kind: "islands" }, fromConfig);
});

test("strategy errors name the key path", () => {
  const fails = (strategy: unknown, message: RegExp) =>
    assert.throws(
      () => parse(strategy),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
    );
  fails(
    { kind: "annealing" },
    /^run\.yaml: strategy\.kind: expected one of islands, gepa, best-of-n, hill-climb, shinka, adaptive$/,
  );
  fails({ kind: "gepa", minibatch: 0 }, /^run\.yaml: strategy\.minibatch: Too small/);
  fails({ kind: "hill-climb", islands: 3 }, /^run\.yaml: strategy: unknown key "islands"$/);
  fails({ islands: 0 }, /^run\.yaml: strategy\.islands: Too small/);
  fails(
    { explorationRatio: 0.6, exploitationRatio: 0.6 },
    /^run\.yaml: strategy\.exploitationRatio: explorationRatio \+ exploitationRatio must be at most 1$/,
  );
  fails("islands", /^run\.yaml: strategy: expected an object/);
});

test("--ordered sets concurrency.ordered over the config file's value; without it the file's value stands", () => {
  const dir = mkdtempSync(join(tmpdir(), "adrs-config-"));
  const file = join(dir, "run.yaml");
  writeFileSync(file, "task: t\nconcurrency:\n  proposals: 3\n  ordered: false\n");
  const ordered = resolveRunConfig(file, { ordered: true }).concurrency;
  assert.deepEqual(ordered, { proposals: 3, evaluations: 2, ordered: true });
  assert.equal(resolveRunConfig(file, {}).concurrency.ordered, false);
  assert.equal(resolveRunConfig(undefined, { task: "t" }).concurrency.ordered, false);
});
