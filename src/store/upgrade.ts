/**
 * Reading what older versions stored: before strategies had opaque tags,
 * programs and proposals carried an `island` number, and islands' migrations
 * were an event of their own; before every HTTP attempt was a ledger entry, a
 * `model_called` was a whole call and counted its `attempts`. Readers see
 * today's shapes only.
 */
import type { RunEvent } from "../core/events.ts";
import type { ModelCall, Program } from "../core/types.ts";

type Legacy = { island?: number; tag?: string };

function withTag<T extends Legacy>(value: T): Omit<T, "island"> & { tag: string } {
  if (value.tag !== undefined) return value as Omit<T, "island"> & { tag: string };
  const { island, ...rest } = value;
  return { ...rest, tag: island === undefined ? "" : String(island) };
}

export function readProgram(json: string): Program {
  return withTag(JSON.parse(json) as Program & Legacy);
}

export function readEvent(json: string): RunEvent {
  const e = JSON.parse(json) as
    | RunEvent
    | { type: "program_migrated"; programId: string; from: number; to: number };
  if (e.type === "program_migrated") {
    const { programId, from, to } = e;
    return {
      type: "strategy_event",
      strategy: "islands",
      kind: "program_migrated",
      data: { programId, from, to },
    };
  }
  if (e.type === "candidate_proposed") return withTag(e as typeof e & Legacy);
  if (e.type === "model_called") return { ...readModelCall(e), type: "model_called" };
  if (e.type === "program_inserted") return { ...e, program: withTag(e.program as Program & Legacy) };
  return e;
}

/**
 * A model call as stored by any version. Before attempts were entries of
 * their own, an entry was a whole call and `attempts` counted its attempts:
 * the last of them is the one it records.
 */
export function readModelCall<T extends Partial<ModelCall>>(
  stored: T & { attempts?: number },
): T & ModelCall {
  if (stored.attempt !== undefined) return stored as T & ModelCall;
  const { attempts, ...call } = stored;
  return { ...call, attempt: attempts ?? 1 } as unknown as T & ModelCall;
}

/** A tag column as read back: SQLite keeps the numbers of pre-tag runs as integers. */
export function tagOf(column: unknown): string {
  return column === null || column === undefined ? "" : String(column);
}
