import { type Action, type Job, NONE, ON_DEMAND, type Policy, SPOT } from "./api.ts";

// EVOLVE-BLOCK-START
/** Below one restart plus this many ticks of slack, stop choosing: keep spot while it lasts, else on demand. */
const ENDGAME_TICKS = 3;
/** Slack kept, on top of one restart, before waiting for spot: this many ticks... */
const RESERVE_TICKS = 12;
/** ...plus this share of the remaining work. */
const RESERVE_WORK_SHARE = 0.1;
/** Slack below this share of the reserve is tight: */
const TIGHT_SHARE = 0.75;
/** then an on-demand run moves to spot only where spot has been up this many ticks. */
const STABLE_TICKS = 8;
/** A region's current spot streak counts, up to this many ticks... */
const STREAK_CAP = 10;
/** ...as this many $/h off its price when choosing where to go. */
const STREAK_CREDIT = 0.03;
/** A running spot instance moves to a region cheaper by more than this ($/h)... */
const MOVE_SAVING = 0.1;
/** ...when the slack exceeds this share of the reserve. */
const MOVE_SHARE = 0.5;

/**
 * Scan the regions: slack is the time left beyond the remaining work. Keep a
 * running spot instance (moving it to a clearly cheaper region while slack is
 * plentiful). Otherwise look at every region's spot this tick and go to the
 * best one: cheap, and up for a while. Without spot anywhere, wait while the
 * slack exceeds a reserve and run on demand otherwise; leave on demand for
 * spot only with enough slack or where spot looks stable.
 */
export function createPolicy(job: Job): Policy {
  const { tickSeconds, restartSeconds, regions } = job;
  const streak = new Array<number>(regions).fill(0);
  return (t): Action => {
    for (let r = 0; r < regions; r++) streak[r] = t.spot[r] ? (streak[r] as number) + 1 : 0;
    if (t.remaining <= 0) return NONE;
    const slack = t.timeLeft - t.remaining;
    if (slack <= restartSeconds + ENDGAME_TICKS * tickSeconds) {
      return t.running === SPOT && t.hasSpot ? SPOT : ON_DEMAND;
    }
    const reserve = restartSeconds + RESERVE_TICKS * tickSeconds + RESERVE_WORK_SHARE * t.remaining;
    if (t.running === SPOT && t.hasSpot) {
      if (slack > MOVE_SHARE * reserve) {
        let cheaper = -1;
        let price = (t.prices[t.region] as number) - MOVE_SAVING;
        for (let r = 0; r < regions; r++) {
          if (t.spot[r] && (t.prices[r] as number) < price) {
            price = t.prices[r] as number;
            cheaper = r;
          }
        }
        if (cheaper >= 0) return { type: SPOT, region: cheaper };
      }
      return SPOT;
    }
    let best = -1;
    let bestValue = Number.POSITIVE_INFINITY;
    for (let r = 0; r < regions; r++) {
      if (!t.spot[r]) continue;
      const value = (t.prices[r] as number) - Math.min(streak[r] as number, STREAK_CAP) * STREAK_CREDIT;
      if (value < bestValue) {
        bestValue = value;
        best = r;
      }
    }
    if (best >= 0) {
      const tight = slack < TIGHT_SHARE * reserve && (streak[best] as number) < STABLE_TICKS;
      if (t.running === ON_DEMAND && tight) return ON_DEMAND;
      return { type: SPOT, region: best };
    }
    if (t.running === ON_DEMAND) return ON_DEMAND;
    return slack > reserve ? NONE : ON_DEMAND;
  };
}
// EVOLVE-BLOCK-END
