import type { ChatMessage, Usage } from "../core/types.ts";
import type { Price } from "./pricing.ts";

export type { ChatMessage } from "../core/types.ts";

export interface CompletionRequest {
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  seed?: number;
  signal?: AbortSignal;
  /**
   * Asked before each attempt is sent, with the most the call may have cost
   * once that attempt is done (what earlier attempts cost plus the attempt's
   * estimate). `false` means the attempt is not sent: the call then fails with
   * an `LlmError` of kind "budget". The cost ledger uses this to hold every
   * request's cost against the dollar budget before it goes out.
   */
  reserve?: (maxCostUsd: number) => boolean;
  /** Who the call works for, set by the cost ledger: a replay answers by it (providers never see it). */
  purpose?: { role: string; candidateId: string | null };
}

export interface Completion {
  text: string;
  /** The `provider:name` spec of the model that answered. */
  model: string;
  usage: Usage;
  /**
   * "stop" for a reply the model finished, "length" when it was cut by the
   * token limit (every provider's name for that is mapped to "length"), else
   * the provider's own reason in lower case ("content_filter", "safety", …).
   */
  finishReason: string;
  /**
   * True when the provider reported no token counts and `usage` is a chars/4
   * estimate (common with local OpenAI-compatible servers).
   */
  usageEstimated?: boolean;
  /** Attempts our retry layer made for this reply (empty replies and cut streams are retried). */
  attempts?: number;
}

/** One model behind one provider's official SDK. */
export interface LlmClient {
  /** `provider:name`, e.g. `openai:gpt-5-mini`. */
  readonly model: string;
  /** Dollars per million tokens, when known; undefined costs 0 and cannot be budgeted. */
  readonly price?: Price | undefined;
  /**
   * The token limit sent when a request gives none, if the provider requires
   * one (Anthropic does); undefined means no limit is sent.
   */
  readonly defaultMaxTokens?: number | undefined;
  /**
   * Resolves with the reply, which may be empty (its `finishReason` says why).
   * Rejects only with an `LlmError` (src/llm/errors.ts) once retries are spent.
   */
  complete(request: CompletionRequest): Promise<Completion>;
}
