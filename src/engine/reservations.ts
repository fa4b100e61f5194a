/**
 * Reservations a killed process left open: a `model_reserved` that no
 * `model_called` resolves was an HTTP attempt in flight (or one whose
 * candidate was never stored). Each is charged at its reserved amount, as an
 * attempt whose outcome is unknown, so the dollar budget holds across any
 * number of kills.
 */
import type { RunEvent } from "../core/events.ts";
import type { Reservation } from "../core/types.ts";
import type { Store } from "../store/store.ts";

export const UNKNOWN_OUTCOME = "unknown";

/** Stores a ledger entry for every open reservation; returns how many there were. */
export async function chargeOpenReservations(store: Store): Promise<number> {
  const open = new Map<string, Reservation>();
  for (const e of await store.events(0, Number.MAX_SAFE_INTEGER, ["model_reserved", "model_called"])) {
    if (e.type === "model_reserved") {
      const { type: _, seq: _s, at: _a, ...reservation } = e;
      open.set(e.reservation, reservation);
    } else if (e.type === "model_called" && e.reservation) open.delete(e.reservation);
  }
  const charges = [...open.values()].map(
    (r): RunEvent => ({
      type: "model_called",
      candidateId: r.candidateId,
      iteration: r.iteration,
      role: r.role,
      model: r.model,
      ...(r.call === undefined ? {} : { call: r.call }),
      attempt: r.attempt ?? 1,
      messages: [],
      reply: null,
      finishReason: null,
      usage: { inputTokens: 0, outputTokens: 0, costUsd: r.usd },
      outcome: UNKNOWN_OUTCOME,
      error: "outcome unknown: the run stopped while this request was in flight; charged at its reservation",
      durationMs: 0,
      reservation: r.reservation,
    }),
  );
  await store.append(charges);
  return charges.length;
}
