import { type Action, type Job, NONE, ON_DEMAND, type Policy, SPOT } from "./api.ts";

// EVOLVE-BLOCK-START
/** Restart overheads of spare time under which the policy stops waiting for spot. */
const GUARD_RESTARTS = 2;

/**
 * Round robin: run on spot in the current region whenever it has spot;
 * otherwise move to the next region and wait there for a tick. Switch to
 * on-demand only when the ticks left before the deadline barely cover the
 * remaining work plus one restart (or plus GUARD_RESTARTS restarts, unless a
 * spot instance is running).
 */
export function createPolicy(job: Job): Policy {
  const { tickSeconds, restartSeconds, regions } = job;
  return (t): Action => {
    if (t.remaining <= 0) return NONE;
    const ticksLeft = Math.max(0, Math.floor(t.timeLeft / tickSeconds));
    const ticksNeeded = (restarts: number) =>
      Math.ceil((t.remaining + restarts * restartSeconds) / tickSeconds);
    if (ticksNeeded(1) >= ticksLeft) return ON_DEMAND;
    if (ticksNeeded(GUARD_RESTARTS) >= ticksLeft) {
      return t.running === SPOT && t.hasSpot ? SPOT : ON_DEMAND;
    }
    if (t.hasSpot) return SPOT;
    return { type: NONE, region: (t.region + 1) % regions };
  };
}
// EVOLVE-BLOCK-END
