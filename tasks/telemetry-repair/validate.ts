/** Why an answer is not a valid repair of a scenario, or null when it is. Pure; both sides use it. */
import type { Telemetry } from "./telemetry.ts";

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  if (typeof v === "object") return "an object";
  return String(v);
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export function repairProblem(answer: unknown, telemetry: Telemetry): string | null {
  if (!isRecord(answer)) return `the repair must be an object keyed by interface id, got ${describe(answer)}`;
  for (const id of Object.keys(answer)) {
    if (!(id in telemetry)) return `the repair has an unknown interface ${JSON.stringify(id)}`;
  }
  for (const id of Object.keys(telemetry)) {
    const entry = answer[id];
    if (entry === undefined)
      return `interface ${id} is missing from the repair (every interface must be answered)`;
    if (!isRecord(entry))
      return `${id} must be an object { interface_status, rx_rate, tx_rate }, got ${describe(entry)}`;
    for (const field of ["interface_status", "rx_rate", "tx_rate"] as const) {
      const triple = entry[field];
      if (!Array.isArray(triple) || triple.length !== 3) {
        return `${id}.${field} must be [original, repaired, confidence], got ${describe(triple)}`;
      }
      const value: unknown = triple[1];
      if (field === "interface_status") {
        if (value !== "up" && value !== "down")
          return `${id}.${field}[1] must be "up" or "down", got ${describe(value)}`;
      } else if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        return `${id}.${field}[1] must be a rate: a finite number ≥ 0, got ${describe(value)}`;
      }
      const confidence: unknown = triple[2];
      if (
        typeof confidence !== "number" ||
        !Number.isFinite(confidence) ||
        confidence < 0 ||
        confidence > 1
      ) {
        return `${id}.${field}[2] must be a confidence from 0 to 1, got ${describe(confidence)}`;
      }
    }
  }
  return null;
}
