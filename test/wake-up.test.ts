/**
 * The engine's wake-up (src/engine/wake-up.ts), alone: the run loop's sleep
 * ends when it is woken, when work it tracks ends either way, or at the pause's
 * poll, and not otherwise.
 */
import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { WakeUp } from "../src/engine/wake-up.ts";

/** Whether `sleep` has ended once everything already due has run (promise reactions and I/O callbacks). */
async function ended(sleep: Promise<void>): Promise<boolean> {
  let done = false;
  sleep.then(() => {
    done = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

/** A promise and what settles it. */
function pending(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // the loop's tracked work never rejects unhandled
  return { promise, resolve, reject };
}

test("a sleep with nothing to end it does not end", async () => {
  const wakeUp = new WakeUp();
  const work = pending();
  assert.equal(await ended(wakeUp.sleep([work.promise])), false);
});

test("wake ends the sleep in progress", async () => {
  const wakeUp = new WakeUp();
  const sleep = wakeUp.sleep([pending().promise]);
  assert.equal(await ended(sleep), false);
  wakeUp.wake();
  assert.equal(await ended(sleep), true);
});

test("wake ends the latest sleep, not only the first", async () => {
  const wakeUp = new WakeUp();
  const first = wakeUp.sleep([]);
  wakeUp.wake();
  assert.equal(await ended(first), true);
  const second = wakeUp.sleep([pending().promise]);
  assert.equal(await ended(second), false);
  wakeUp.wake();
  assert.equal(await ended(second), true);
});

test("tracked work that resolves ends the sleep", async () => {
  const wakeUp = new WakeUp();
  const a = pending();
  const b = pending();
  const sleep = wakeUp.sleep([a.promise, b.promise]);
  assert.equal(await ended(sleep), false);
  b.resolve();
  assert.equal(await ended(sleep), true);
});

test("tracked work that rejects ends the sleep too", async () => {
  const wakeUp = new WakeUp();
  const a = pending();
  const sleep = wakeUp.sleep([a.promise]);
  a.reject(new Error("proposal failed"));
  assert.equal(await ended(sleep), true);
});

test("a paused loop's sleep ends at its poll, and only then", async (t) => {
  mock.timers.enable({ apis: ["setTimeout"] });
  t.after(() => mock.timers.reset());
  const wakeUp = new WakeUp();
  const sleep = wakeUp.sleep([pending().promise], 250);
  mock.timers.tick(249);
  assert.equal(await ended(sleep), false);
  mock.timers.tick(1);
  assert.equal(await ended(sleep), true);
});
