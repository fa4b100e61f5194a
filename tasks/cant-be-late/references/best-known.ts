import { type Job, NONE, ON_DEMAND, type Policy, SPOT } from "./api.ts";

// EVOLVE-BLOCK-START
/** Spare ticks kept, on top of one restart, before waiting for spot... */
const RESERVE_TICKS = 2;
/** ...plus this share of the remaining work. */
const RESERVE_WORK_SHARE = 0.1;
/** After this many ticks without spot, waiting on needs more slack: */
const PATIENCE_TICKS = 5;
/** this many ticks more for every further tick of the outage. */
const PATIENCE_COST = 0.5;
/** Slack below this share of the reserve is tight: */
const TIGHT_SHARE = 0.5;
/** then an on-demand run moves to spot only once spot has been there this many ticks. */
const STABLE_TICKS = 5;

/**
 * Slack-aware: slack is the time left beyond the remaining work. Spot is
 * taken whenever it is there (from on demand only if slack is comfortable or
 * the spot looks stable). Without spot the job waits while the slack exceeds
 * a reserve (one restart, a few ticks and a share of the remaining work, more
 * the longer the outage lasts), and otherwise runs on demand, where it stays
 * until spot returns.
 */
export function createPolicy(job: Job): Policy {
  const { tickSeconds, restartSeconds } = job;
  let up = 0;
  let down = 0;
  return (t) => {
    if (t.hasSpot) {
      up++;
      down = 0;
    } else {
      down++;
      up = 0;
    }
    if (t.remaining <= 0) return NONE;
    const slack = t.timeLeft - t.remaining;
    if (slack <= restartSeconds + tickSeconds) {
      return t.running === SPOT && t.hasSpot ? SPOT : ON_DEMAND;
    }
    const reserve = restartSeconds + RESERVE_TICKS * tickSeconds + RESERVE_WORK_SHARE * t.remaining;
    if (t.hasSpot) {
      if (t.running === ON_DEMAND && slack < TIGHT_SHARE * reserve && up < STABLE_TICKS) return ON_DEMAND;
      return SPOT;
    }
    if (t.running === ON_DEMAND) return ON_DEMAND;
    const patience = PATIENCE_COST * Math.max(0, down - PATIENCE_TICKS) * tickSeconds;
    return slack > reserve + patience ? NONE : ON_DEMAND;
  };
}
// EVOLVE-BLOCK-END
