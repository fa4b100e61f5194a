import { ANTHROPIC_DEFAULT_MAX_TOKENS, AnthropicClient } from "./anthropic.ts";
import type { LlmClient } from "./client.ts";
import { Ensemble, type EnsembleOptions } from "./ensemble.ts";
import { GeminiClient } from "./gemini.ts";
import { OpenAiClient } from "./openai.ts";
import { type Price, priceFor } from "./pricing.ts";
import { type Recording, ReplayClient } from "./replay.ts";
import { type Provider, parseModelSpec } from "./spec.ts";

export { ANTHROPIC_DEFAULT_MAX_TOKENS, AnthropicClient, type AnthropicClientOptions } from "./anthropic.ts";
export type { TransportOptions } from "./attempts.ts";
export type { ChatMessage, Completion, CompletionRequest, LlmClient } from "./client.ts";
export {
  ENSEMBLE_DEFAULTS,
  Ensemble,
  type EnsembleMember,
  type EnsembleOptions,
  type EnsemblePolicy,
  type MemberReport,
} from "./ensemble.ts";
export { isModelFault, LlmError, type LlmErrorKind } from "./errors.ts";
export { GeminiClient, type GeminiClientOptions } from "./gemini.ts";
export { BUDGET_DEFAULT_MAX_TOKENS, Budget, BudgetHold, type CallPurpose, Ledger } from "./ledger.ts";
export { isReasoningModel, OpenAiClient, type OpenAiClientOptions, PLACEHOLDER_API_KEY } from "./openai.ts";
export {
  costUsd,
  estimateCostUsd,
  type Price,
  priceFor,
  type TokenCounts,
} from "./pricing.ts";
export { Recording, ReplayClient, requestHash } from "./replay.ts";
export {
  formatModelSpec,
  type ModelSpec,
  ModelSpecError,
  parseModelSpec,
  type Provider,
  SUPPORTED_PROVIDERS,
} from "./spec.ts";

/** How to reach one model; the fields a run config's `models[]` entry carries, plus transport knobs. */
export interface ClientConfig {
  /** `provider:name`, e.g. `openai:gpt-5-mini`, `anthropic:claude-sonnet-4-5`, `gemini:gemini-2.5-flash`. */
  model: string;
  baseUrl?: string;
  apiKey?: string;
  /** Read the key from this environment variable instead of the provider's usual one. */
  apiKeyEnv?: string;
  price?: Price;
  timeoutMs?: number;
  maxRetries?: number;
  stream?: boolean;
  /** OpenAI only: force the reasoning-model parameter style. */
  reasoning?: boolean;
  replyRetries?: number;
  replyRetryDelayMs?: number;
  env?: Record<string, string | undefined>;
}

/** A model in an ensemble: how to reach it, and how often and how it is asked. */
export interface EnsembleModelConfig extends ClientConfig {
  /** Default 1. */
  weight?: number;
  temperature?: number;
  maxTokens?: number;
}

/** The usual key variables of each provider, for messages. */
export const KEY_VARIABLES: Readonly<Record<Provider, readonly string[]>> = {
  openai: ["OPENAI_API_KEY"],
  anthropic: ["ANTHROPIC_API_KEY"],
  gemini: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
};

/** The client for a model spec, over its provider's SDK. Throws on a bad spec or a missing key. */
export function createClient(config: ClientConfig): LlmClient {
  const spec = parseModelSpec(config.model);
  const { reasoning, ...common } = config;
  switch (spec.provider) {
    case "openai":
      return new OpenAiClient(config);
    case "anthropic":
      return new AnthropicClient(common);
    case "gemini":
      return new GeminiClient(common);
  }
}

/** A client that answers from `recording` instead of the provider, with the same limits and price. */
export function createReplayClient(config: ClientConfig, recording: Recording): LlmClient {
  const spec = parseModelSpec(config.model);
  return new ReplayClient(
    `${spec.provider}:${spec.name}`,
    recording,
    priceFor(spec, config.price),
    spec.provider === "anthropic" ? ANTHROPIC_DEFAULT_MAX_TOKENS : undefined,
  );
}

export function createEnsemble(
  models: readonly EnsembleModelConfig[],
  options: EnsembleOptions & { client?: (config: ClientConfig) => LlmClient } = {},
): Ensemble {
  const { client = createClient, ...ensembleOptions } = options;
  return new Ensemble(
    models.map(({ weight, temperature, maxTokens, ...config }) => ({
      client: client(config),
      weight: weight ?? 1,
      ...(temperature === undefined ? {} : { temperature }),
      ...(maxTokens === undefined ? {} : { maxTokens }),
    })),
    ensembleOptions,
  );
}
