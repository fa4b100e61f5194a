import { estimateTokens, promptChars } from "../core/tokens.ts";
import type { ChatMessage } from "../core/types.ts";
import { type ModelSpec, parseModelSpec } from "./spec.ts";

/** US dollars per million tokens. */
export interface Price {
  inputPerMTok: number;
  outputPerMTok: number;
  /**
   * Price of prompt tokens served from the provider's prompt cache. Evolution
   * prompts share a long prefix (the spec), so caching is a real share of the
   * bill; when absent, cached tokens are charged at `inputPerMTok`.
   */
  cachedInputPerMTok?: number;
}

/**
 * The version of the table below: the month its list prices were last checked
 * against the providers' pages. Prices change; a run pins the prices it
 * starts with into its stored config (so resuming it later with a newer table
 * charges the same), and a model's `price` in the config always wins.
 *
 * The table gives the standard (not batch, not priority) price for prompts up
 * to 200k tokens; Gemini 2.5 Pro and long-context Claude charge more beyond.
 * Anthropic's cache writes (1.25× input) are charged at the input price.
 *
 * Prices as of 2025-11.
 */

const TABLE: Readonly<Record<string, Price>> = {
  // OpenAI
  "openai:gpt-5.1": { inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10 },
  "openai:gpt-5": { inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10 },
  "openai:gpt-5-mini": { inputPerMTok: 0.25, cachedInputPerMTok: 0.025, outputPerMTok: 2 },
  "openai:gpt-5-nano": { inputPerMTok: 0.05, cachedInputPerMTok: 0.005, outputPerMTok: 0.4 },
  "openai:gpt-4.1": { inputPerMTok: 2, cachedInputPerMTok: 0.5, outputPerMTok: 8 },
  "openai:gpt-4.1-mini": { inputPerMTok: 0.4, cachedInputPerMTok: 0.1, outputPerMTok: 1.6 },
  "openai:gpt-4.1-nano": { inputPerMTok: 0.1, cachedInputPerMTok: 0.025, outputPerMTok: 0.4 },
  "openai:gpt-4o": { inputPerMTok: 2.5, cachedInputPerMTok: 1.25, outputPerMTok: 10 },
  "openai:gpt-4o-mini": { inputPerMTok: 0.15, cachedInputPerMTok: 0.075, outputPerMTok: 0.6 },
  "openai:o3": { inputPerMTok: 2, cachedInputPerMTok: 0.5, outputPerMTok: 8 },
  "openai:o3-mini": { inputPerMTok: 1.1, cachedInputPerMTok: 0.55, outputPerMTok: 4.4 },
  "openai:o4-mini": { inputPerMTok: 1.1, cachedInputPerMTok: 0.275, outputPerMTok: 4.4 },
  // Anthropic (cached = cache reads, 0.1× input)
  "anthropic:claude-opus-4-5": { inputPerMTok: 5, cachedInputPerMTok: 0.5, outputPerMTok: 25 },
  "anthropic:claude-opus-4-1": { inputPerMTok: 15, cachedInputPerMTok: 1.5, outputPerMTok: 75 },
  "anthropic:claude-opus-4-0": { inputPerMTok: 15, cachedInputPerMTok: 1.5, outputPerMTok: 75 },
  "anthropic:claude-sonnet-4-5": { inputPerMTok: 3, cachedInputPerMTok: 0.3, outputPerMTok: 15 },
  "anthropic:claude-sonnet-4-0": { inputPerMTok: 3, cachedInputPerMTok: 0.3, outputPerMTok: 15 },
  "anthropic:claude-3-7-sonnet": { inputPerMTok: 3, cachedInputPerMTok: 0.3, outputPerMTok: 15 },
  "anthropic:claude-haiku-4-5": { inputPerMTok: 1, cachedInputPerMTok: 0.1, outputPerMTok: 5 },
  "anthropic:claude-3-5-haiku": { inputPerMTok: 0.8, cachedInputPerMTok: 0.08, outputPerMTok: 4 },
  // Gemini (paid tier; cached = implicit or explicit cache hits)
  "gemini:gemini-3-pro-preview": { inputPerMTok: 2, cachedInputPerMTok: 0.2, outputPerMTok: 12 },
  "gemini:gemini-2.5-pro": { inputPerMTok: 1.25, cachedInputPerMTok: 0.31, outputPerMTok: 10 },
  "gemini:gemini-2.5-flash": { inputPerMTok: 0.3, cachedInputPerMTok: 0.075, outputPerMTok: 2.5 },
  "gemini:gemini-2.5-flash-lite": { inputPerMTok: 0.1, cachedInputPerMTok: 0.025, outputPerMTok: 0.4 },
  "gemini:gemini-2.0-flash": { inputPerMTok: 0.1, cachedInputPerMTok: 0.025, outputPerMTok: 0.4 },
  "gemini:gemini-2.0-flash-lite": { inputPerMTok: 0.075, outputPerMTok: 0.3 },
};

/**
 * Other names of the models above: Anthropic's dated snapshots and bare
 * aliases (`claude-sonnet-4-20250514`, `claude-sonnet-4`), Gemini's
 * `-latest`/`-001` and preview suffixes.
 */
const ALIASES: Readonly<Record<string, string>> = {
  "anthropic:claude-opus-4-1-20250805": "anthropic:claude-opus-4-1",
  "anthropic:claude-opus-4": "anthropic:claude-opus-4-0",
  "anthropic:claude-opus-4-20250514": "anthropic:claude-opus-4-0",
  "anthropic:claude-sonnet-4": "anthropic:claude-sonnet-4-0",
  "anthropic:claude-sonnet-4-20250514": "anthropic:claude-sonnet-4-0",
  "anthropic:claude-sonnet-4-5-20250929": "anthropic:claude-sonnet-4-5",
  "anthropic:claude-haiku-4-5-20251001": "anthropic:claude-haiku-4-5",
  "anthropic:claude-opus-4-5-20251101": "anthropic:claude-opus-4-5",
  "anthropic:claude-3-7-sonnet-20250219": "anthropic:claude-3-7-sonnet",
  "anthropic:claude-3-7-sonnet-latest": "anthropic:claude-3-7-sonnet",
  "anthropic:claude-3-5-haiku-20241022": "anthropic:claude-3-5-haiku",
  "anthropic:claude-3-5-haiku-latest": "anthropic:claude-3-5-haiku",
  "gemini:gemini-2.0-flash-001": "gemini:gemini-2.0-flash",
  "gemini:gemini-2.0-flash-lite-001": "gemini:gemini-2.0-flash-lite",
};

/**
 * The price for a model: the override when given, else the table. Dated
 * snapshots (`gpt-4o-2024-08-06`, `claude-sonnet-4-20250514`) and known
 * aliases are priced as their base model; a `models/` prefix (Gemini) is
 * looked through. Unknown models (local servers, new releases) give
 * undefined, which costs 0.
 */
export function priceFor(spec: string | ModelSpec, override?: Price): Price | undefined {
  if (override) return override;
  const parsed = typeof spec === "string" ? parseModelSpec(spec) : spec;
  const name = parsed.name.replace(/^models\//, "");
  const key = `${parsed.provider}:${name}`;
  const found = TABLE[key] ?? TABLE[ALIASES[key] ?? ""];
  if (found) return found;
  const undated = key.replace(/-\d{4}-?\d{2}-?\d{2}$/, "");
  return TABLE[undated] ?? TABLE[ALIASES[undated] ?? ""];
}

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  /** The part of `inputTokens` that was served from the prompt cache. */
  cachedInputTokens?: number;
}

export function costUsd(tokens: TokenCounts, price: Price | undefined): number {
  if (!price) return 0;
  const cached = Math.min(tokens.cachedInputTokens ?? 0, tokens.inputTokens);
  const cachedRate = price.cachedInputPerMTok ?? price.inputPerMTok;
  return (
    ((tokens.inputTokens - cached) * price.inputPerMTok +
      cached * cachedRate +
      tokens.outputTokens * price.outputPerMTok) /
    1_000_000
  );
}

/**
 * What one attempt of a request may cost, held against the dollar budget
 * before it is sent: the prompt at chars/4 tokens, uncached, plus the whole
 * token limit of output. Without a token limit the output cannot be bounded,
 * so the ledger always sets one when a budget is in force.
 */
export function estimateCostUsd(
  request: { messages: readonly ChatMessage[]; maxTokens?: number | undefined },
  price: Price | undefined,
): number {
  return costUsd(
    { inputTokens: estimateTokens(promptChars(request.messages)), outputTokens: request.maxTokens ?? 0 },
    price,
  );
}
