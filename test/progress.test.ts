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
