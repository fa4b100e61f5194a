/**
 * Synthetic spot availability for the stress splits of the cant-be-late
 * tasks (trusted side): a two-state Markov chain, so outages come in runs as
 * they do in the published traces.
 */
import type { Rng } from "../../src/task/api.ts";

/** `ticks` characters, `1` when spot is available; `up` is the long-run share available, `run` the mean outage length. */
export function markovAvailability(rng: Rng, ticks: number, up: number, run: number): string {
  const leaveDown = 1 / run;
  const leaveUp = (leaveDown * (1 - up)) / up;
  let available = rng.next() < up;
  let out = "";
  for (let k = 0; k < ticks; k++) {
    out += available ? "1" : "0";
    if (rng.next() < (available ? leaveUp : leaveDown)) available = !available;
  }
  return out;
}

/** Available every other tick: the most restarts a policy that chases spot can suffer. */
export function flapping(ticks: number): string {
  let out = "";
  for (let k = 0; k < ticks; k++) out += k % 2 === 0 ? "1" : "0";
  return out;
}
