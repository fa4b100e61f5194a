import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { SteeringEvent } from "../core/events.ts";
import type { SteerRequest } from "./payloads.ts";
import type { RunView } from "./run-view.ts";

/** Checks a request body; text is trimmed. */
export const steerRequest: z.ZodType<SteerRequest> = z.discriminatedUnion("action", [
  z.strictObject({ action: z.literal("pause") }),
  z.strictObject({ action: z.literal("continue") }),
  z.strictObject({ action: z.literal("hint"), text: z.string().trim().min(1).max(4000) }),
  z.strictObject({ action: z.literal("withdraw"), hintId: z.string().min(1) }),
  z.strictObject({ action: z.literal("veto"), programId: z.string().min(1) }),
]);

/** Why a request cannot be applied to this run, as the page should say it. */
export class SteerRefused extends Error {
  override name = "SteerRefused";
}

/**
 * The one event a request becomes, checked against the run as the dashboard
 * sees it; null when the run is already so (pausing a paused run).
 */
export function steeringEvent(request: SteerRequest, view: RunView): SteeringEvent | null {
  switch (request.action) {
    case "pause":
      return view.paused ? null : { type: "run_paused" };
    case "continue":
      return view.paused ? { type: "run_continued" } : null;
    case "hint":
      return { type: "hint_added", hintId: randomUUID().slice(0, 8), text: request.text };
    case "withdraw": {
      const hint = view.hints.get(request.hintId);
      if (!hint) throw new SteerRefused(`no hint ${request.hintId}`);
      return hint.withdrawnAt === null ? { type: "hint_withdrawn", hintId: hint.id } : null;
    }
    case "veto": {
      const row = view.candidates.get(request.programId);
      if (!row || row.score === null)
        throw new SteerRefused(`${request.programId} is not a program of this run`);
      return row.vetoed ? null : { type: "program_vetoed", programId: row.id };
    }
  }
}
