/**
 * The published perturbation model (adrs-tasks.md §3.8), drawn from our
 * seeded Rng: every counter gets ±2 % measurement noise; then, by the
 * scenario's bug, 20 % of interfaces have both counters zeroed (`dropped`) or
 * each scaled by a factor in [0.5, 0.8] or [1.2, 1.5] (`scaled`), or each
 * router with probability 20 % has all its interfaces replaced by noise-free
 * copies zeroed (`correlated_dropped`) or scaled (`correlated_scaled`).
 * Statuses stay "up", as published.
 */
import type { Rng } from "../../src/task/api.ts";
import type { Telemetry, TelemetryInput, Topology, Truth } from "./telemetry.ts";

export const BUGS = ["dropped", "scaled", "correlated_dropped", "correlated_scaled"] as const;
export type Bug = (typeof BUGS)[number];

const NOISE = 0.02;
const HIT = 0.2;

/** Splits `"A_to_B"` into its two routers. */
export function routersOf(id: string): [string, string] {
  const at = id.indexOf("_to_");
  if (at <= 0 || at + 4 >= id.length) throw new Error(`interface id "${id}" is not <router>_to_<router>`);
  return [id.slice(0, at), id.slice(at + 4)];
}

export function perturb(truth: Truth, bug: Bug, rng: Rng): TelemetryInput {
  const uniform = (lo: number, hi: number) => lo + rng.next() * (hi - lo);
  // As published: both ranges are drawn, then one is picked.
  const factor = () => {
    const low = uniform(0.5, 0.8);
    const high = uniform(1.2, 1.5);
    return rng.next() < 0.5 ? low : high;
  };
  const ids = Object.keys(truth).sort();
  const telemetry: Telemetry = {};
  const topology: Topology = {};
  for (const id of ids) {
    const t = truth[id] as Truth[string];
    const [local, remote] = routersOf(id);
    let rx = t.rx_rate * uniform(1 - NOISE, 1 + NOISE);
    let tx = t.tx_rate * uniform(1 - NOISE, 1 + NOISE);
    if (bug === "dropped" && rng.next() < HIT) {
      rx = 0;
      tx = 0;
    } else if (bug === "scaled" && rng.next() < HIT) {
      rx *= factor();
      tx *= factor();
    }
    telemetry[id] = {
      interface_status: t.interface_status,
      rx_rate: rx,
      tx_rate: tx,
      connected_to: `${remote}_to_${local}`,
      local_router: local,
      remote_router: remote,
    };
    const list = topology[local] ?? [];
    list.push(id);
    topology[local] = list;
  }
  for (const interfaces of Object.values(topology)) {
    if (rng.next() < 1 - HIT) continue;
    if (bug !== "correlated_dropped" && bug !== "correlated_scaled") continue;
    for (const id of interfaces) {
      const t = truth[id] as Truth[string];
      const reading = telemetry[id] as Telemetry[string];
      reading.rx_rate = bug === "correlated_dropped" ? 0 : t.rx_rate * factor();
      reading.tx_rate = bug === "correlated_dropped" ? 0 : t.tx_rate * factor();
    }
  }
  return { telemetry, topology };
}
