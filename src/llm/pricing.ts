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
 * When the table below was last checked against the providers' published list
 * prices. Prices change; a run that needs exact accounting should set `price`
 * in its model config, which always wins over this table.
 */
export const PRICES_AS_OF = "2025-08";

const TABLE: Readonly<Record<string, Price>> = {
  "openai:gpt-5": { inputPerMTok: 1.25, cachedInputPerMTok: 0.125, outputPerMTok: 10 },
  "openai:gpt-5-mini": { inputPerMTok: 0.25, cachedInputPerMTok: 0.025, outputPerMTok: 2 },
  "openai:gpt-5-nano": { inputPerMTok: 0.05, cachedInputPerMTok: 0.005, outputPerMTok: 0.4 },
  "openai:gpt-4.1": { inputPerMTok: 2, cachedInputPerMTok: 0.5, outputPerMTok: 8 },
  "openai:gpt-4.1-mini": { inputPerMTok: 0.4, cachedInputPerMTok: 0.1, outputPerMTok: 1.6 },
  "openai:gpt-4.1-nano": { inputPerMTok: 0.1, cachedInputPerMTok: 0.025, outputPerMTok: 0.4 },
  "openai:gpt-4o": { inputPerMTok: 2.5, cachedInputPerMTok: 1.25, outputPerMTok: 10 },
  "openai:gpt-4o-mini": { inputPerMTok: 0.15, cachedInputPerMTok: 0.075, outputPerMTok: 0.6 },
  "openai:o3": { inputPerMTok: 2, cachedInputPerMTok: 0.5, outputPerMTok: 8 },
  "openai:o4-mini": { inputPerMTok: 1.1, cachedInputPerMTok: 0.275, outputPerMTok: 4.4 },
};

/** The known list prices, keyed by `provider:name`. */
export const KNOWN_PRICES: Readonly<Record<string, Price>> = TABLE;

/**
 * The price for a model: the override when given, else the table. Dated
 * snapshots (`gpt-4o-2024-08-06`) are priced as their base model. Unknown
 * models (local servers, new releases) give undefined, which costs 0.
 */
export function priceFor(spec: string | ModelSpec, override?: Price): Price | undefined {
  if (override) return override;
  const parsed = typeof spec === "string" ? parseModelSpec(spec) : spec;
  const exact = TABLE[`${parsed.provider}:${parsed.name}`];
  if (exact) return exact;
  const undated = parsed.name.replace(/-\d{4}-\d{2}-\d{2}$/, "");
  return TABLE[`${parsed.provider}:${undated}`];
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
