/** Negative memory: what failed on a parent's lineage, as the next prompt shows it. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Candidate, Program, Settled } from "../src/core/types.ts";
import { failuresSection } from "../src/prompt/sections.ts";
import { NegativeMemory } from "../src/search/memory.ts";
import { evaluationOf, settledOk } from "./support/instant.ts";

function program(id: string, parentId: string | null, score: number): Program {
  const iteration = Number(id.slice(1));
  return {
    id,
    parentId,
    code: "",
    score,
    metrics: {},
    feedback: "",
    tag: "",
    generation: 0,
    iteration,
    diff: `diff of ${id}`,
    model: "m",
    createdAt: 0,
  };
}
function candidate(id: string, parentId: string): Candidate {
  return {
    id,
    iteration: Number(id.slice(1)),
    parentId,
    tag: "",
    code: "x",
    diff: `diff of ${id}`,
    model: "m",
  };
}
const rejected = (id: string, parentId: string, reason: string): Settled => ({
  status: "rejected",
  candidate: { ...candidate(id, parentId), code: null },
  reason,
});
const failed = (id: string, parentId: string, error: string): Settled => ({
  status: "failed",
  candidate: candidate(id, parentId),
  evaluation: { ...evaluationOf([]), status: "error", error },
});

/** c0 → c1 → c4 → c7: failures on each, a worse child of c1, and a failure off the lineage. */
function lineage(): NegativeMemory {
  const m = new NegativeMemory();
  m.ingest(settledOk(program("c0", null, 30)));
  m.ingest(settledOk(program("c1", "c0", 40)));
  m.ingest(rejected("c2", "c0", "no SEARCH block"));
  m.ingest(settledOk(program("c3", "c1", 35)));
  m.ingest(settledOk(program("c4", "c1", 45)));
  m.ingest(failed("c5", "c4", "boom"));
  m.ingest({ status: "screened", candidate: candidate("c6", "c3"), reason: "off the lineage" });
  m.ingest(settledOk(program("c7", "c4", 50)));
  m.ingest(rejected("c8", "c7", "edit outside the EVOLVE-BLOCK"));
  return m;
}

test("a prompt recalls the failures of the parent and its ancestors, newest first, worse children included", () => {
  assert.deepEqual(
    lineage()
      .recall("c7", 10)
      .map((a) => [a.candidateId, a.on ?? "parent", a.reason]),
    [
      ["c8", "parent", "edit outside the EVOLVE-BLOCK"],
      ["c5", "c4", "boom"],
      ["c3", "c1", "worse than its parent: score 35.00 < 40.00"],
      ["c2", "c0", "no SEARCH block"],
    ],
  );
  assert.deepEqual(
    lineage()
      .recall("c7", 2)
      .map((a) => a.candidateId),
    ["c8", "c5"],
  );
});

test("without lineage (runs stored before negative memory): the parent's own failures only", () => {
  assert.deepEqual(
    lineage()
      .recall("c7", 10, false)
      .map((a) => a.candidateId),
    ["c8"],
  );
  assert.deepEqual(
    lineage()
      .recall("c1", 10, false)
      .map((a) => a.candidateId),
    [],
    "a worse child was not a failure then",
  );
});

test("the prompt marks an ancestor's failure as already tried there", () => {
  const text = failuresSection(lineage().recall("c7", 10));
  assert.match(text, /## Attempt c8\n\nWhy it failed: edit outside/);
  assert.match(text, /## Attempt c5 \(already tried on ancestor c4\)\n\nWhy it failed: boom/);
  assert.match(text, /diff of c3/);
});
