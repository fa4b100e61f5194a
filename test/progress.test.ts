import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { createProgress } from "../src/cli/progress.ts";
import { evaluationOf } from "./support/instant.ts";

function lines() {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      written.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  return { stream, written };
}

function finished(candidateId: string, score: number) {
  const evaluation = evaluationOf([{ workload: "w0", valid: true, score, metrics: {} }]);
  return { type: "evaluation_finished" as const, candidateId, evaluation };
}

test("after a resume the progress line continues from the stored counts and best", () => {
  const { stream, written } = lines();
  const progress = createProgress(
    200,
    { iteration: 38, evaluations: 38, best: 41.41, costUsd: 0.5, rejected: 2, failed: 1 },
    stream,
  );
  progress.onEvent(finished("c000039", 38.7));
  progress.onEvent(finished("c000040", 45));
  progress.close();
  assert.equal(written[0], "c000039 score 38.70 | best 41.41 | evals 39 | rejected 2 | failed 1 | $0.5000");
  assert.equal(
    written[1],
    "c000040 score 45.00 (new best) | best 45.00 | evals 40 | rejected 2 | failed 1 | $0.5000",
  );
});

test("a noisy candidate's round sets the best the progress line shows: a lucky first score that does not win leaves it", () => {
  const { stream, written } = lines();
  const progress = createProgress(10, { best: 60 }, stream);
  progress.onEvent(finished("c000001", 68));
  const program = {
    id: "c000001",
    parentId: "c000000",
    code: "",
    score: 60,
    metrics: {},
    feedback: "",
    tag: "",
    generation: 1,
    iteration: 1,
    diff: "",
    model: "m",
    createdAt: 0,
    noise: {
      samples: [58, 58.5, 57.5],
      median: 58,
      spread: 0.5,
      incumbent: { id: "c000000", score: 60, samples: [60, 60.5, 59.5], median: 60, spread: 0.5 },
      won: false,
    },
  };
  progress.onEvent({ type: "program_inserted", program });
  progress.close();
  assert.equal(
    written[1],
    "c000001 measured 58.00 ± 0.50 over 3 evaluations against the best c000000 at 60.00 ± 0.50: no clear win (within the spread): ranked 60.00 | best 60.00 | evals 1 | rejected 0 | failed 0 | $0.0000",
  );
});
