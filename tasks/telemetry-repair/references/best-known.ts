import type { Repair, Telemetry, Topology } from "./api.ts";

// EVOLVE-BLOCK-START
/**
 * Best known, built from the published ideas: link symmetry first, flow
 * conservation (Kirchhoff's current law) where symmetry cannot decide.
 *
 * Each link direction A→B is read twice: A's tx towards B and B's rx from A.
 * - The two agree (within AGREE): both get their mean, confidently.
 * - One is zero and the other is not: a dropped counter; both get the other.
 * - Both are zero: nothing to go on; zero, with little confidence.
 * - They disagree: one of the two interfaces of the link is corrupted (a
 *   scaled counter scales both of an interface's readings, so the link's two
 *   directions disagree together). The culprit is the interface whose router
 *   disagrees on more of its other links (a router corrupted as a whole
 *   disagrees everywhere), or else the one whose replacement by its peer's
 *   readings brings its router closer to flow conservation. Both directions
 *   then take the other interface's readings; the confidence says how clear
 *   the evidence was.
 */
const AGREE = 0.1;
const CONFIDENT = 0.97;
const DROPPED = 0.95;
const BOTH_ZERO = 0.2;
/** Confidence when the culprit is clear from the routers' other links. */
const BY_ROUTER = 0.9;
/**
 * When only KCL speaks: the confidence grows with how much more one side's
 * flow balance improves than the other's (as a share of the router's traffic).
 */
const KCL_STEPS = [
  { margin: 0.1, confidence: 0.8 },
  { margin: 0.05, confidence: 0.7 },
  { margin: 0, confidence: 0.5 },
];
/** Confidence in a counter estimated from flow conservation alone (both ends read zero). */
const ESTIMATED = 0.15;
const STATUS_CONFIDENCE = 0.95;

const agree = (a: number, b: number) => Math.abs(a - b) <= AGREE * Math.max(a, b);

/** |Σrx − Σtx| / (Σrx + Σtx) of a router's interfaces, optionally with one interface's readings replaced. */
function imbalance(
  telemetry: Telemetry,
  interfaces: readonly string[],
  replaced?: { id: string; rx: number; tx: number },
): number {
  let rx = 0;
  let tx = 0;
  for (const id of interfaces) {
    const r = telemetry[id];
    if (!r) continue;
    if (replaced && id === replaced.id) {
      rx += replaced.rx;
      tx += replaced.tx;
    } else {
      rx += r.rx_rate;
      tx += r.tx_rate;
    }
  }
  return rx + tx === 0 ? 0 : Math.abs(rx - tx) / (rx + tx);
}

export function repair(telemetry: Telemetry, topology: Topology): Repair {
  // For each interface, how many of its two directions disagree with its peer (0, 1 or 2).
  const disagreements = new Map<string, number>();
  for (const [id, r] of Object.entries(telemetry)) {
    const peer = telemetry[r.connected_to];
    if (!peer) continue;
    disagreements.set(
      id,
      (agree(r.tx_rate, peer.rx_rate) ? 0 : 1) + (agree(r.rx_rate, peer.tx_rate) ? 0 : 1),
    );
  }
  /** Share of a router's other links (all but `except`) that disagree; −1 when it has no other link. */
  const othersDisagree = (router: string, except: string): number => {
    let bad = 0;
    let all = 0;
    for (const id of topology[router] ?? []) {
      if (id === except) continue;
      bad += disagreements.get(id) ?? 0;
      all += 2;
    }
    return all === 0 ? -1 : bad / all;
  };

  const result: Repair = {};
  for (const [id, r] of Object.entries(telemetry)) {
    const status = r.rx_rate > 0 || r.tx_rate > 0 ? "up" : r.interface_status;
    result[id] = {
      interface_status: [r.interface_status, status, STATUS_CONFIDENCE],
      rx_rate: [r.rx_rate, r.rx_rate, CONFIDENT],
      tx_rate: [r.tx_rate, r.tx_rate, CONFIDENT],
    };
  }

  const set = (id: string, field: "rx_rate" | "tx_rate", value: number, confidence: number) => {
    const entry = result[id];
    const reading = telemetry[id];
    if (entry && reading) entry[field] = [reading[field], value, confidence];
  };

  const settled = new Set<string>();
  for (const [id, r] of Object.entries(telemetry)) {
    const peerId = r.connected_to;
    const peer = telemetry[peerId];
    if (!peer || settled.has(id)) continue;
    settled.add(id);
    settled.add(peerId);
    // The link's two directions: this interface's tx with the peer's rx, and the reverse.
    const forward = [r.tx_rate, peer.rx_rate] as const;
    const backward = [peer.tx_rate, r.rx_rate] as const;
    const suspects: { forward: boolean; backward: boolean } = { forward: false, backward: false };
    for (const [name, [a, b]] of [
      ["forward", forward],
      ["backward", backward],
    ] as const) {
      const [sendId, recvId] = name === "forward" ? [id, peerId] : [peerId, id];
      if (a === 0 && b === 0) {
        set(sendId, "tx_rate", 0, BOTH_ZERO);
        set(recvId, "rx_rate", 0, BOTH_ZERO);
      } else if (agree(a, b)) {
        const mean = (a + b) / 2;
        set(sendId, "tx_rate", mean, CONFIDENT);
        set(recvId, "rx_rate", mean, CONFIDENT);
      } else if (a === 0 || b === 0) {
        set(sendId, "tx_rate", Math.max(a, b), DROPPED);
        set(recvId, "rx_rate", Math.max(a, b), DROPPED);
      } else {
        suspects[name] = true;
      }
    }
    if (!suspects.forward && !suspects.backward) continue;

    // One of the two interfaces is corrupted: which?
    const mine = othersDisagree(r.local_router, id);
    const theirs = othersDisagree(peer.local_router, peerId);
    let blameMine: boolean;
    let confidence: number;
    if (mine >= 0 && theirs >= 0 && Math.abs(mine - theirs) >= 0.5) {
      blameMine = mine > theirs;
      confidence = BY_ROUTER;
    } else {
      const mineInterfaces = topology[r.local_router] ?? [];
      const theirInterfaces = topology[peer.local_router] ?? [];
      const gainMine =
        imbalance(telemetry, mineInterfaces) -
        imbalance(telemetry, mineInterfaces, { id, rx: peer.tx_rate, tx: peer.rx_rate });
      const gainTheirs =
        imbalance(telemetry, theirInterfaces) -
        imbalance(telemetry, theirInterfaces, { id: peerId, rx: r.tx_rate, tx: r.rx_rate });
      blameMine = gainMine >= gainTheirs;
      const margin = Math.abs(gainMine - gainTheirs);
      confidence = (KCL_STEPS.find((step) => margin >= step.margin) ?? { confidence: 0.5 }).confidence;
    }
    // The trusted interface's reading stands for both ends of each disagreeing direction.
    if (suspects.forward) {
      const value = blameMine ? peer.rx_rate : r.tx_rate;
      set(id, "tx_rate", value, confidence);
      set(peerId, "rx_rate", value, confidence);
    }
    if (suspects.backward) {
      const value = blameMine ? peer.tx_rate : r.rx_rate;
      set(peerId, "tx_rate", value, confidence);
      set(id, "rx_rate", value, confidence);
    }
  }

  // Directions read as zero at both ends: what flow conservation at either router leaves for them.
  for (const [id, r] of Object.entries(telemetry)) {
    const peerId = r.connected_to;
    if (r.tx_rate !== 0 || telemetry[peerId]?.rx_rate !== 0) continue;
    const estimates: number[] = [];
    const sender = topology[r.local_router] ?? [];
    const receiver = topology[r.remote_router] ?? [];
    // At the sender, what comes in and does not go out elsewhere; at the receiver, what goes out and did not come in elsewhere.
    const fromSender = sum(result, sender, "rx_rate") - sum(result, sender, "tx_rate", id);
    const fromReceiver = sum(result, receiver, "tx_rate") - sum(result, receiver, "rx_rate", peerId);
    if (sender.length > 1 && fromSender > 0) estimates.push(fromSender);
    if (receiver.length > 1 && fromReceiver > 0) estimates.push(fromReceiver);
    if (estimates.length === 0) continue;
    const value = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    set(id, "tx_rate", value, ESTIMATED);
    set(peerId, "rx_rate", value, ESTIMATED);
  }
  return result;
}

/** Sum of the repaired `field` over some interfaces, leaving one out. */
function sum(
  result: Repair,
  interfaces: readonly string[],
  field: "rx_rate" | "tx_rate",
  except?: string,
): number {
  let total = 0;
  for (const id of interfaces) if (id !== except) total += result[id]?.[field][1] ?? 0;
  return total;
}
// EVOLVE-BLOCK-END
