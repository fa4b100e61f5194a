import assert from "node:assert/strict";
import { test } from "node:test";
import type { Candidate } from "../src/core/types.ts";
import { EvaluationSlots } from "../src/engine/slots.ts";

const candidate = (iteration: number) => ({ id: `c${iteration}`, iteration }) as unknown as Candidate;

test("evaluation slots: at most max run, a freed slot goes to the next in order, the loop is woken only on a start", () => {
  const begun: number[] = [];
  let wakes = 0;
  const slots = new EvaluationSlots(
    2,
    (c) => begun.push(c.iteration),
    () => wakes++,
  );
  slots.add(candidate(1), candidate(2), candidate(3));
  assert.deepEqual(begun, [1, 2]);
  assert.equal(slots.queued, 1);
  assert.equal(wakes, 1);
  slots.fill();
  assert.equal(wakes, 1, "nothing started, nothing to wake");
  slots.add(candidate(4));
  assert.deepEqual(begun, [1, 2], "both slots are held");
  slots.free();
  assert.deepEqual(begun, [1, 2, 3]);
  slots.free();
  slots.free();
  assert.deepEqual(begun, [1, 2, 3, 4]);
  assert.equal(slots.queued, 0);
  slots.add(candidate(5), candidate(6));
  assert.deepEqual(begun, [1, 2, 3, 4, 5], "one slot free of two: 4 still holds one");
});
