import { createHash } from "node:crypto";
import type { AttemptReport, ChatMessage, ModelCall } from "../core/types.ts";
import type { Completion, CompletionRequest, LlmClient } from "./client.ts";
import { LlmError, type LlmErrorKind } from "./errors.ts";
import { estimateCostUsd, type Price } from "./pricing.ts";

/**
 * What identifies a request for replay: its role, the model and the exact
 * messages. Sampling settings are left out: a replay runs with the recorded
 * config. Computed when a recording is read and when a replayed request is
 * made, never while recording, where it would only cost time.
 */
export function requestHash(model: string, messages: readonly ChatMessage[], role = ""): string {
  // Lengths make the concatenation unambiguous. SHA-512 is the faster of the SHA-2s on 64-bit machines.
  const hash = createHash("sha512").update(`${role.length}:${role}${model.length}:${model}`);
  for (const m of messages) hash.update(`\0${m.role}:${m.content.length}:`).update(m.content);
  return hash.digest("hex").slice(0, 32);
}

const KINDS = new Set<string>([
  "rate_limit",
  "server",
  "timeout",
  "connection",
  "cut",
  "bad_response",
  "auth",
  "bad_request",
  "aborted",
  "budget",
]);

/** A recorded call: the attempt that ended it (with the messages and reply), after those that were retried. */
export interface RecordedCall {
  end: ModelCall;
  retried: ModelCall[];
}

/**
 * The recorded model calls of a run, answerable by request. Identical
 * requests (the same prompt twice) are told apart by the candidate they
 * served, so replies in flight at once cannot swap; otherwise they are
 * answered in the order they were recorded.
 */
export class Recording {
  private readonly byHash = new Map<string, RecordedCall[]>();
  private used = 0;
  readonly total: number;

  constructor(
    /** Every ledger entry of the recorded run, in stored order. */
    entries: readonly ModelCall[],
    /** Where the recording came from, for error messages. */
    readonly source: string,
  ) {
    const retried = new Map<string, ModelCall[]>();
    let total = 0;
    for (const entry of entries) {
      // Attempts that were tried again are replayed with the attempt that ended their call.
      if (entry.retried) {
        const key = entry.call ?? "";
        retried.set(key, [...(retried.get(key) ?? []), entry]);
        continue;
      }
      const call = { end: entry, retried: retried.get(entry.call ?? "") ?? [] };
      retried.delete(entry.call ?? "");
      const hash = requestHash(entry.model, entry.messages, entry.role);
      const list = this.byHash.get(hash);
      if (list) list.push(call);
      else this.byHash.set(hash, [call]);
      total++;
    }
    this.total = total;
  }

  /** The next recorded answer to this request (for this candidate, if one was recorded), consumed; undefined when there is none left. */
  take(hash: string, candidateId?: string | null): RecordedCall | undefined {
    const list = this.byHash.get(hash);
    if (!list || list.length === 0) return undefined;
    const own = candidateId == null ? -1 : list.findIndex((c) => c.end.candidateId === candidateId);
    const [call] = list.splice(Math.max(0, own), 1);
    this.used++;
    return call;
  }

  /** Recorded calls not replayed (yet). */
  remaining(): number {
    return this.total - this.used;
  }
}

/**
 * A model that answers from a recording, without any network: each request
 * gets the reply (or the failure) recorded for the same model and messages,
 * with the recorded tokens and dollars, so a replayed run spends what the
 * recorded one did. A request the recording never saw is an LlmError of
 * kind "replay_missing".
 */
export class ReplayClient implements LlmClient {
  constructor(
    readonly model: string,
    private readonly recording: Recording,
    readonly price: Price | undefined = undefined,
    readonly defaultMaxTokens: number | undefined = undefined,
  ) {}

  async complete(request: CompletionRequest): Promise<Completion> {
    if (request.reserve && !(await request.reserve(1, estimateCostUsd(request, this.price)))) {
      throw new LlmError({
        kind: "budget",
        model: this.model,
        message: `${this.model}: not sent: the dollar budget cannot hold its estimated cost`,
        attempts: 0,
      });
    }
    const hash = requestHash(this.model, request.messages, request.purpose?.role);
    const recorded = this.recording.take(hash, request.purpose?.candidateId);
    if (!recorded) {
      throw new LlmError({
        kind: "replay_missing",
        model: this.model,
        attempts: 0,
        message:
          `${this.model}: ${this.recording.source} has no recorded reply for this request ` +
          `(hash ${hash}; ${this.recording.remaining()} of ${this.recording.total} recorded calls unused). ` +
          "The replay has left the recorded run: its config, task or code differ from the recording's",
      });
    }
    // Each recorded attempt is told again, so the replayed run's ledger and spend are the recorded ones.
    const attempts = [...recorded.retried, recorded.end];
    const usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
    attempts.forEach((a, i) => {
      usage.inputTokens += a.usage.inputTokens;
      usage.outputTokens += a.usage.outputTokens;
      usage.costUsd += a.usage.costUsd;
      request.onAttempt?.(reportOf(a, i + 1));
    });
    const call = recorded.end;
    const estimated = attempts.some((a) => a.usageEstimated);
    if (call.reply === null) {
      throw new LlmError({
        kind: (KINDS.has(call.outcome) ? call.outcome : "bad_response") as LlmErrorKind,
        model: this.model,
        message: call.error ?? `${this.model}: recorded failure (${call.outcome})`,
        attempts: attempts.length,
        usage,
        usageEstimated: estimated,
      });
    }
    return {
      text: call.reply,
      model: this.model,
      usage,
      finishReason: call.finishReason ?? "stop",
      ...(estimated ? { usageEstimated: true } : {}),
      attempts: attempts.length,
    };
  }
}

/** A recorded entry as its client reported it. */
function reportOf(entry: ModelCall, attempt: number): AttemptReport {
  const { outcome, usage, usageEstimated, error, status, durationMs, reply, finishReason } = entry;
  return {
    attempt,
    outcome,
    usage,
    ...(usageEstimated ? { usageEstimated } : {}),
    ...(error === undefined ? {} : { error }),
    ...(status === undefined ? {} : { status }),
    durationMs,
    reply,
    finishReason,
  };
}
