import { type Job, NONE, ON_DEMAND, type Policy, SPOT } from "./api.ts";

// EVOLVE-BLOCK-START
/** How many restart overheads ahead of the progress line an on-demand run must get before it may stop. */
const AHEAD_RESTARTS = 2;

/**
 * Uniform Progress (Wu et al., NSDI'24): the ideal line makes progress at a
 * constant rate, `taskSeconds · elapsed / deadlineSeconds`. Spot is taken
 * whenever it is available. Without spot, the job waits while it is ahead of
 * the line and runs on demand while it is behind; once on demand it keeps
 * going until it is ahead of where the line will be AHEAD_RESTARTS restart
 * overheads from now. Near the deadline it runs on demand.
 */
export function createPolicy(job: Job): Policy {
  const { tickSeconds, taskSeconds, deadlineSeconds, restartSeconds } = job;
  const line = (time: number) => (taskSeconds * time) / deadlineSeconds;
  return (t) => {
    if (t.remaining <= 1e-3) return NONE;
    const ticksNeeded = Math.ceil((t.remaining + restartSeconds) / tickSeconds);
    if (ticksNeeded >= Math.floor(t.timeLeft / tickSeconds)) return ON_DEMAND;
    if (t.hasSpot) return SPOT;
    if (line(t.elapsed) > t.done) return ON_DEMAND;
    if (t.running === ON_DEMAND && line(t.elapsed + AHEAD_RESTARTS * restartSeconds) >= t.done)
      return ON_DEMAND;
    return NONE;
  };
}
// EVOLVE-BLOCK-END
