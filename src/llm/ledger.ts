import type { AttemptReport, ModelCall, Reservation } from "../core/types.ts";
import { replyOutcome } from "./retries.ts";
import type { Completion, CompletionRequest, LlmClient } from "./client.ts";
import { LlmError } from "./errors.ts";
import { estimateCostUsd } from "./pricing.ts";

/**
 * The token limit sent, when a dollar budget is in force, with requests whose
 * model config sets none: without a limit a request's cost has no bound, so
 * it could not be held against the budget before it is sent.
 */
export const BUDGET_DEFAULT_MAX_TOKENS = 16_384;

/** Dollars within this much of the limit count as at the limit (float sums). */
const EPSILON_USD = 1e-12;

/**
 * The run's dollar budget as a hard stop: every request holds its estimated
 * cost before it is sent, and a hold that does not fit in what is left is
 * refused, so spent + held never exceeds the limit, requests in flight
 * included. When a call ends its hold is replaced by what it actually cost.
 */
export class Budget {
  /** Dollars spent by finished calls. */
  spentUsd: number;
  /** Dollars held by calls in flight. */
  reservedUsd = 0;
  /** Why a hold was refused, once one was: the run should drain and stop. */
  exhausted: string | null = null;

  /** `limitUsd` undefined: no limit, nothing is ever refused. */
  constructor(
    readonly limitUsd: number | undefined,
    spentUsd = 0,
  ) {
    this.spentUsd = spentUsd;
  }

  get limited(): boolean {
    return this.limitUsd !== undefined;
  }

  /** What is neither spent nor held. */
  get remainingUsd(): number {
    return this.limitUsd === undefined
      ? Number.POSITIVE_INFINITY
      : this.limitUsd - this.spentUsd - this.reservedUsd;
  }

  /** A hold of nothing yet, for one call. */
  hold(): BudgetHold {
    return new BudgetHold(this);
  }
}

export class BudgetHold {
  private held = 0;
  private settled = false;

  constructor(private readonly budget: Budget) {}

  /** Raises (or lowers) this hold to `usd`; false, holding what it held, when that does not fit. */
  set(usd: number): boolean {
    const b = this.budget;
    if (this.settled) throw new Error("budget hold used after it was settled");
    if (b.limitUsd !== undefined && b.spentUsd + b.reservedUsd - this.held + usd > b.limitUsd + EPSILON_USD) {
      b.exhausted ??=
        `a request needing $${usd.toFixed(4)} did not fit in the $${b.limitUsd} budget ` +
        `($${b.spentUsd.toFixed(4)} spent, $${(b.reservedUsd - this.held).toFixed(4)} held by requests in flight)`;
      return false;
    }
    b.reservedUsd += usd - this.held;
    this.held = usd;
    return true;
  }

  /** The call ended: its hold is released and what it actually cost is spent. */
  settle(actualUsd: number): void {
    if (this.settled) return;
    this.settled = true;
    const b = this.budget;
    b.reservedUsd -= this.held;
    if (Math.abs(b.reservedUsd) < EPSILON_USD) b.reservedUsd = 0;
    this.held = 0;
    b.spentUsd += actualUsd;
    if (b.limitUsd !== undefined && b.spentUsd >= b.limitUsd - EPSILON_USD) {
      b.exhausted ??= `spent $${b.spentUsd.toFixed(4)} of the $${b.limitUsd} budget`;
    }
  }
}

/** Who a call works for. */
export interface CallPurpose {
  /** mutation | repair | novelty | meta | judge | … */
  role: string;
  candidateId: string | null;
  iteration: number | null;
}

/**
 * The one cost ledger of a run: every model call of every role goes through
 * `complete`, which holds each HTTP attempt's cost against the budget and
 * stores its reservation before it is sent, and records every attempt as an
 * entry (outcome, tokens, dollars, time; the one that ended the call with its
 * messages and reply) until the engine takes the entries to store them.
 */
export class Ledger {
  private readonly pending: ModelCall[] = [];
  private calls = 0;
  /**
   * Stores a reservation (the engine appends it as `model_reserved`); each
   * attempt's is stored, and awaited, before the attempt is sent.
   */
  onReserve: ((reservation: Reservation) => Promise<void>) | undefined;

  constructor(
    readonly budget: Budget = new Budget(undefined),
    private readonly clock: () => number = Date.now,
  ) {}

  /** The token limit a request is sent with: its own, else the client's default, else the budget's (under a dollar budget). */
  sentMaxTokens(
    client: Pick<LlmClient, "defaultMaxTokens">,
    maxTokens: number | undefined,
  ): number | undefined {
    return (
      maxTokens ?? client.defaultMaxTokens ?? (this.budget.limited ? BUDGET_DEFAULT_MAX_TOKENS : undefined)
    );
  }

  async complete(client: LlmClient, request: CompletionRequest, purpose: CallPurpose): Promise<Completion> {
    const maxTokens = this.sentMaxTokens(client, request.maxTokens);
    const hold = this.budget.hold();
    const who = {
      candidateId: purpose.candidateId,
      iteration: purpose.iteration,
      role: purpose.role,
      model: client.model,
      call: `${purpose.candidateId ?? "run"}:${++this.calls}:${this.clock()}`,
    };
    const reservationOf = (attempt: number) => `${who.call}/${attempt}`;
    const attempts: ModelCall[] = [];
    let spentUsd = 0;
    /** Holds the attempt's cost beside what the earlier ones cost, and stores its reservation. */
    const reserve = async (attempt: number, usd: number) => {
      if (!hold.set(spentUsd + usd)) return false;
      await this.onReserve?.({ reservation: reservationOf(attempt), ...who, attempt, usd });
      return true;
    };
    // The first attempt is reserved here, whatever the client does; one the budget cannot hold is refused here.
    const first = estimateCostUsd({ messages: request.messages, maxTokens }, client.price);
    if (!(await reserve(1, first))) {
      hold.settle(0);
      throw new LlmError({
        kind: "budget",
        model: client.model,
        message: `${client.model}: not sent: the dollar budget cannot hold its estimated cost of $${first.toFixed(4)}`,
        attempts: 0,
      });
    }
    const sent: CompletionRequest = {
      ...request,
      ...(maxTokens === undefined ? {} : { maxTokens }),
      // The first attempt is held already, unless the client knows it may cost more (stored again, larger).
      reserve: (attempt, usd) => (attempt === 1 && usd <= first ? true : reserve(attempt, usd)),
      onAttempt: (report) => {
        spentUsd += report.usage.costUsd;
        attempts.push({ ...who, ...report, messages: [], reservation: reservationOf(report.attempt) });
      },
      purpose: { role: purpose.role, candidateId: purpose.candidateId },
    };
    /** The attempts as entries: the last one ended the call, and carries what was sent and received. */
    const record = (
      end: Pick<ModelCall, "reply" | "finishReason" | "error">,
      whole: Omit<AttemptReport, "attempt">,
    ) => {
      // A client that does not report its attempts is recorded as one.
      if (attempts.length === 0)
        attempts.push({ ...who, attempt: 1, messages: [], ...whole, reservation: reservationOf(1) });
      const last = attempts.length - 1;
      attempts.forEach((a, i) => {
        if (i < last) a.retried = true;
        else
          Object.assign(a, end, {
            messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
            ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
            ...(maxTokens === undefined ? {} : { maxTokens }),
          });
      });
      this.pending.push(...attempts);
    };
    const start = this.clock();
    try {
      const completion = await client.complete(sent);
      hold.settle(completion.usage.costUsd);
      record(
        { reply: completion.text, finishReason: completion.finishReason },
        {
          outcome: replyOutcome(completion.text, completion.finishReason),
          reply: completion.text,
          finishReason: completion.finishReason,
          usage: completion.usage,
          ...(completion.usageEstimated ? { usageEstimated: true } : {}),
          durationMs: this.clock() - start,
        },
      );
      return completion;
    } catch (error) {
      const failure =
        error instanceof LlmError
          ? error
          : new LlmError({
              kind: "bad_response",
              model: client.model,
              message: `${client.model}: ${error instanceof Error ? error.message : String(error)}`,
              cause: error,
            });
      hold.settle(failure.usage.costUsd);
      // A request the budget refused before anything was sent is no call.
      if (failure.attempts > 0) {
        record(
          // The call's error (what the proposal reports, and a replay must report alike), on the attempt that ended it.
          { reply: null, finishReason: null, error: failure.message },
          {
            outcome: failure.kind,
            reply: null,
            finishReason: null,
            usage: failure.usage,
            ...(failure.usageEstimated ? { usageEstimated: true } : {}),
            error: failure.message,
            ...(failure.status === undefined ? {} : { status: failure.status }),
            durationMs: this.clock() - start,
          },
        );
      }
      throw failure;
    }
  }

  /** The entries of a candidate's calls not yet taken, in the order the calls ended. */
  take(candidateId: string): ModelCall[] {
    const taken: ModelCall[] = [];
    for (let i = 0; i < this.pending.length; ) {
      if (this.pending[i]!.candidateId === candidateId) taken.push(...this.pending.splice(i, 1));
      else i++;
    }
    return taken;
  }

  /** Every record not yet taken (calls that served the run as a whole, or a candidate that never got stored). */
  takeAll(): ModelCall[] {
    return this.pending.splice(0);
  }
}
