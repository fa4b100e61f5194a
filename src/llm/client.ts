import type { AttemptReport, ChatMessage, Usage } from "../core/types.ts";
import type { Price } from "./pricing.ts";

export type { ChatMessage } from "../core/types.ts";

export interface CompletionRequest {
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  seed?: number;
  signal?: AbortSignal;
  /**
   * Asked before each HTTP attempt is sent (and awaited), with the attempt's
   * number (from 1) and the most it may cost (its prompt and its whole token
   * limit). `false` means the attempt is not sent: the call then fails with an
   * `LlmError` of kind "budget". The cost ledger uses this to hold every
   * attempt's cost against the dollar budget, and to store its reservation,
   * before it goes out.
   */
  reserve?: (attempt: number, maxCostUsd: number) => boolean | Promise<boolean>;
  /**
   * Told of each HTTP attempt once it ends, in order, with what it was billed:
   * the cost ledger makes each one an entry. The last one told ended the call.
   */
  onAttempt?: (report: AttemptReport) => void;
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
  /** HTTP attempts made for this reply (each was told to `onAttempt`). */
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
