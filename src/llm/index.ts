import type { LlmClient } from "./client.ts";
import { Ensemble } from "./ensemble.ts";
import { OpenAiClient } from "./openai.ts";
import type { Price } from "./pricing.ts";
import { parseModelSpec } from "./spec.ts";

export type { ChatMessage, Completion, CompletionRequest, LlmClient } from "./client.ts";
export { Ensemble, type EnsembleMember } from "./ensemble.ts";
export { LlmError, type LlmErrorKind } from "./errors.ts";
export { isReasoningModel, OpenAiClient, type OpenAiClientOptions, PLACEHOLDER_API_KEY } from "./openai.ts";
export { costUsd, KNOWN_PRICES, PRICES_AS_OF, type Price, priceFor, type TokenCounts } from "./pricing.ts";
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
  /** `provider:name`, e.g. `openai:gpt-5-mini`. */
  model: string;
  baseUrl?: string;
  apiKey?: string;
  price?: Price;
  timeoutMs?: number;
  maxRetries?: number;
  stream?: boolean;
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

export function createClient(config: ClientConfig): LlmClient {
  const spec = parseModelSpec(config.model);
  switch (spec.provider) {
    case "openai":
      return new OpenAiClient(config);
  }
}

export function createEnsemble(models: readonly EnsembleModelConfig[]): Ensemble {
  return new Ensemble(
    models.map(({ weight, temperature, maxTokens, ...client }) => ({
      client: createClient(client),
      weight: weight ?? 1,
      ...(temperature === undefined ? {} : { temperature }),
      ...(maxTokens === undefined ? {} : { maxTokens }),
    })),
  );
}
