import type { Repair, Telemetry, Topology } from "./api.ts";

// EVOLVE-BLOCK-START
/**
 * Hodor-style validation and repair (Krentsel et al., HotNets'24), the human
 * state of the art, with the published port's parameters.
 *
 * Validation: a link direction A→B is measured twice, as A's transmit rate
 * towards B and as B's receive rate from A; the two must agree within
 * INTERFACE_THRESHOLD (link symmetry). Repair, by democratic trust: a
 * router's trust is the share of its link directions that pass validation; a
 * direction that fails takes the reading of the more trusted of its two
 * routers (their mean on a tie), with a confidence from how far apart the two
 * trusts are. Values that pass validation keep the default confidence, and
 * statuses are kept as they are.
 */
const INTERFACE_THRESHOLD = 0.03;
const DEFAULT_CONFIDENCE = 0.5;
const STATUS_CONFIDENCE = 1;
const MIN_CONFIDENCE = 0.1;

/** One direction of a link: the sender's tx and the receiver's rx. */
interface Direction {
  from: string;
  to: string;
  sender: string;
  receiver: string;
  tx: number;
  rx: number;
  valid: boolean;
}

export function repair(telemetry: Telemetry, topology: Topology): Repair {
  const directions: Direction[] = [];
  for (const [id, r] of Object.entries(telemetry)) {
    const peer = telemetry[r.connected_to];
    if (!peer) continue;
    const tx = r.tx_rate;
    const rx = peer.rx_rate;
    const scale = Math.max(Math.abs(tx), Math.abs(rx));
    directions.push({
      from: r.local_router,
      to: r.remote_router,
      sender: id,
      receiver: r.connected_to,
      tx,
      rx,
      valid: scale === 0 || Math.abs(tx - rx) <= INTERFACE_THRESHOLD * scale,
    });
  }

  const trust = new Map<string, number>();
  for (const router of Object.keys(topology)) {
    const mine = directions.filter((d) => d.from === router || d.to === router);
    trust.set(router, mine.length === 0 ? 0 : mine.filter((d) => d.valid).length / mine.length);
  }

  const result: Repair = {};
  for (const [id, r] of Object.entries(telemetry)) {
    result[id] = {
      interface_status: [r.interface_status, r.interface_status, STATUS_CONFIDENCE],
      rx_rate: [r.rx_rate, r.rx_rate, DEFAULT_CONFIDENCE],
      tx_rate: [r.tx_rate, r.tx_rate, DEFAULT_CONFIDENCE],
    };
  }
  for (const d of directions) {
    if (d.valid) continue;
    const sender = trust.get(d.from) ?? 0;
    const receiver = trust.get(d.to) ?? 0;
    const value = sender > receiver ? d.tx : receiver > sender ? d.rx : (d.tx + d.rx) / 2;
    const top = Math.max(sender, receiver);
    const confidence = Math.max(MIN_CONFIDENCE, top === 0 ? 0 : Math.abs(sender - receiver) / top);
    const s = result[d.sender];
    const r = result[d.receiver];
    if (s) s.tx_rate = [d.tx, value, confidence];
    if (r) r.rx_rate = [d.rx, value, confidence];
  }
  return result;
}
// EVOLVE-BLOCK-END
