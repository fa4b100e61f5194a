import type { ModelCall, Reservation } from "../core/types.ts";
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
 * `complete`, which holds its cost against the budget, makes the call, and
 * records it (messages, reply, tokens, dollars, time, outcome) until the
 * engine takes the records to store them.
 */
export class Ledger {
  private readonly pending: ModelCall[] = [];
  private reservations = 0;
  /**
   * Stores a reservation (the engine appends it as `model_reserved`). The
   * first one of a call is stored before the call is sent; a retry's larger
   * one is stored beside its attempt.
   */
  onReserve: ((reservation: Reservation) => Promise<void>) | undefined;

  constructor(
    readonly budget: Budget = new Budget(undefined),
    private readonly clock: () => number = Date.now,
  ) {}

  async complete(client: LlmClient, request: CompletionRequest, purpose: CallPurpose): Promise<Completion> {
    const maxTokens =
      request.maxTokens ??
      client.defaultMaxTokens ??
      (this.budget.limited ? BUDGET_DEFAULT_MAX_TOKENS : undefined);
    const hold = this.budget.hold();
    const id = `${purpose.candidateId ?? "run"}:${++this.reservations}:${this.clock()}`;
    const reserve = (usd: number) =>
      this.onReserve?.({
        reservation: id,
        candidateId: purpose.candidateId,
        iteration: purpose.iteration,
        role: purpose.role,
        model: client.model,
        usd,
      });
    let reserved = estimateCostUsd({ messages: request.messages, maxTokens }, client.price);
    // Only a request the budget can hold is reserved; one it cannot is refused here, as the client would.
    if (!hold.set(reserved)) {
      hold.settle(0);
      throw new LlmError({
        kind: "budget",
        model: client.model,
        message: `${client.model}: not sent: the dollar budget cannot hold its estimated cost of $${reserved.toFixed(4)}`,
        attempts: 0,
      });
    }
    await reserve(reserved);
    const sent: CompletionRequest = {
      ...request,
      ...(maxTokens === undefined ? {} : { maxTokens }),
      reserve: (usd) => {
        if (!hold.set(usd)) return false;
        if (usd > reserved) {
          reserved = usd;
          reserve(usd)?.catch(() => {});
        }
        return true;
      },
      purpose: { role: purpose.role, candidateId: purpose.candidateId },
    };
    const base = {
      candidateId: purpose.candidateId,
      iteration: purpose.iteration,
      role: purpose.role,
      model: client.model,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(maxTokens === undefined ? {} : { maxTokens }),
      reservation: id,
    };
    const start = this.clock();
    try {
      const completion = await client.complete(sent);
      hold.settle(completion.usage.costUsd);
      this.pending.push({
        ...base,
        reply: completion.text,
        finishReason: completion.finishReason,
        usage: completion.usage,
        ...(completion.usageEstimated ? { usageEstimated: true } : {}),
        outcome:
          completion.finishReason === "length" ? "truncated" : completion.text.trim() === "" ? "empty" : "ok",
        attempts: completion.attempts ?? 1,
        durationMs: this.clock() - start,
      });
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
        this.pending.push({
          ...base,
          reply: null,
          finishReason: null,
          usage: failure.usage,
          ...(failure.usageEstimated ? { usageEstimated: true } : {}),
          outcome: failure.kind,
          error: failure.message,
          attempts: failure.attempts,
          durationMs: this.clock() - start,
        });
      }
      throw failure;
    }
  }

  /** The records of a candidate's calls not yet taken, in the order the calls ended. */
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
