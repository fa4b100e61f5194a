import type { Usage } from "../core/types.ts";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface CompletionRequest {
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  seed?: number;
  signal?: AbortSignal;
}

export interface Completion {
  text: string;
  /** The `provider:name` spec of the model that answered. */
  model: string;
  usage: Usage;
  /** "stop", "length", … as the provider said; "length" means the reply was cut. */
  finishReason: string;
  /**
   * True when the provider reported no token counts and `usage` is a chars/4
   * estimate (common with local OpenAI-compatible servers).
   */
  usageEstimated?: boolean;
}

/** One model behind one provider's official SDK. */
export interface LlmClient {
  /** `provider:name`, e.g. `openai:gpt-5-mini`. */
  readonly model: string;
  /**
   * Resolves with the reply, which may be empty (its `finishReason` says why).
   * Rejects only with an `LlmError` (src/llm/errors.ts) once retries are spent.
   */
  complete(request: CompletionRequest): Promise<Completion>;
}
