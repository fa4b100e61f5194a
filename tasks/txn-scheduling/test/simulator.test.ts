import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../../src/core/rng.ts";
import { identityMakespan, lowerBound, parseWorkload, Simulator } from "../simulator.ts";
import { testWorkloads, trainWorkloads } from "../workloads.ts";

/**
 * The model as the reference describes it, kept deliberately naive: a lock
 * table of (type, time) entries per key, sorted by time. The fast simulator
 * keeps two numbers per key instead; this checks they agree.
 */
function literalMakespan(txns: readonly string[], order: readonly number[]): number {
  const table = new Map<string, { type: string; time: number }[]>();
  let makespan = 0;
  for (const t of order) {
    const tokens = (txns[t] as string).split(/\s+/);
    let start = 1;
    tokens.forEach((token, i) => {
      if (token === "*") return;
      const [type, key] = [token[0] as string, token.slice(2)];
      const entries = table.get(key);
      if (!entries || entries.length === 0) return;
      const last = entries[entries.length - 1] as { type: string; time: number };
      let earliest: number;
      if (last.type === "w" || type === "w") earliest = last.time + 1;
      else {
        let j = entries.length - 1;
        while (j >= 0 && (entries[j] as { type: string }).type === "r") j--;
        earliest = j >= 0 ? (entries[j] as { time: number }).time + 1 : 0;
      }
      start = Math.max(start, earliest - (i + 1) + 1);
    });
    makespan = Math.max(makespan, start + tokens.length - 1);
    tokens.forEach((token, i) => {
      if (token === "*") return;
      const key = token.slice(2);
      const entries = table.get(key) ?? [];
      const time = start + i;
      let at = entries.length;
      while (at > 0 && (entries[at - 1] as { time: number }).time > time) at--;
      entries.splice(at, 0, { type: token[0] as string, time });
      table.set(key, entries);
    });
  }
  return makespan;
}

test("arrival order of the stored workloads gives the published 452, 38, 47", () => {
  const spans = trainWorkloads().map((w) => identityMakespan(parseWorkload(w.input.txns)));
  assert.deepEqual(spans, [452, 38, 47]);
});

test("lower bounds are the longest transactions: 16, 21, 9", () => {
  assert.deepEqual(
    trainWorkloads().map((w) => lowerBound(parseWorkload(w.input.txns))),
    [16, 21, 9],
  );
});

test("the fast simulator agrees with a literal lock-table simulation", () => {
  const rng = new Rng(11);
  for (const w of [...trainWorkloads(), ...testWorkloads()]) {
    const sim = new Simulator(parseWorkload(w.input.txns));
    const n = w.input.txns.length;
    for (let round = 0; round < 20; round++) {
      const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
      // Prefixes too: candidates evaluate partial schedules.
      const cut = round % 2 === 0 ? n : 1 + rng.int(n);
      const part = order.slice(0, cut);
      assert.equal(sim.makespan(part), literalMakespan(w.input.txns, part), `${w.id} round ${round}`);
    }
  }
});

test("small hand-worked cases", () => {
  const sim = (txns: string[], order: number[]) => new Simulator(parseWorkload(txns)).makespan(order);
  // Reads share; a write waits for every earlier op on its key.
  assert.equal(sim(["r-1 *", "r-1 *"], [0, 1]), 2);
  assert.equal(sim(["w-1 *", "r-1 *"], [0, 1]), 3);
  assert.equal(sim(["r-1 *", "w-1 *"], [0, 1]), 3);
  // Only the conflicting ops must be ordered, so the second order overlaps fully.
  assert.equal(sim(["* * w-1", "r-1 * *"], [0, 1]), 6);
  assert.equal(sim(["* * w-1", "r-1 * *"], [1, 0]), 3);
  assert.equal(sim(["* *"], []), 0);
});

test("parsing rejects malformed transactions, naming them", () => {
  assert.throws(() => parseWorkload(["r-1", "x-2"]), /transaction 1, op 1: "x-2"/);
  assert.throws(() => parseWorkload(["r-1", "  "]), /transaction 1 has no ops/);
});
