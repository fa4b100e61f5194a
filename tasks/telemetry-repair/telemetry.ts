/**
 * The shapes that cross the sandbox boundary, as the published task defines
 * them: per interface `"A_to_B"` (router A's interface towards B) its status
 * and its receive and transmit rates, and the routers' interface lists; the
 * answer gives each of those three values back as (original, repaired,
 * confidence). Pure; both sides use it.
 */

export type Status = "up" | "down";

/** One interface's readings and where it sits. Rates in Mbps. */
export interface InterfaceReading {
  interface_status: Status;
  /** Traffic received on this interface (sent by the peer towards this router). */
  rx_rate: number;
  /** Traffic sent on this interface towards the peer. */
  tx_rate: number;
  /** The peer interface on the other end of the link: `"B_to_A"`. */
  connected_to: string;
  local_router: string;
  remote_router: string;
}

/** Interface id → readings. */
export type Telemetry = Record<string, InterfaceReading>;

/** Router id → the ids of its interfaces. */
export type Topology = Record<string, string[]>;

/** What the driver receives for one scenario (JSON). */
export interface TelemetryInput {
  telemetry: Telemetry;
  topology: Topology;
}

/** (original, repaired, confidence in [0, 1]). Only the last two are used. */
export type Repaired<T> = [T, T, number];

export interface InterfaceRepair {
  interface_status: Repaired<Status>;
  rx_rate: Repaired<number>;
  tx_rate: Repaired<number>;
}

/** The answer: every interface of the input, and no other. */
export type Repair = Record<string, InterfaceRepair>;

/** The true values of one scenario, kept on the trusted side. */
export type Truth = Record<string, { interface_status: Status; rx_rate: number; tx_rate: number }>;
