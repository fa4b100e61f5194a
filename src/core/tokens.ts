import type { ChatMessage } from "./types.ts";

/** Providers' own tokenizers are not available here, so a count we lack is chars/4. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

export function promptChars(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + m.content.length, 0);
}
