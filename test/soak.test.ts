/**
 * The soak's short form (`npm run soak` is the long one): a tuner run killed
 * with SIGKILL at random moments, resumed each time, then every invariant
 * checked (bench/soak.ts).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { soak } from "../bench/soak.ts";

test("soak, short form: two kills at random moments, then nothing lost or doubled, no gap, integrity ok, no orphans", async () => {
  const report = await soak({ iterations: 8, kills: 2, seed: 3 });
  assert.deepEqual(report.failures, [], JSON.stringify(report));
  assert.ok(report.kills >= 1, `only ${report.kills} kills happened before the run finished`);
  assert.equal(report.candidates, 9);
});
