/** Providers this version can talk to. */
export const SUPPORTED_PROVIDERS = ["openai", "anthropic", "gemini"] as const;

export type Provider = (typeof SUPPORTED_PROVIDERS)[number];

/** A parsed `provider:name` model spec. */
export interface ModelSpec {
  provider: Provider;
  /** The provider's model name, passed through untouched (it may itself contain `:` or `/`). */
  name: string;
}

export class ModelSpecError extends Error {
  override name = "ModelSpecError";
}

/**
 * Parses `provider:name`, e.g. `openai:gpt-5-mini`. Only the first `:` separates,
 * because local model names such as Ollama's `qwen2.5-coder:7b` carry their own.
 */
export function parseModelSpec(spec: string): ModelSpec {
  const text = spec.trim();
  const colon = text.indexOf(":");
  if (text === "")
    throw new ModelSpecError('model spec is empty; expected "provider:name", e.g. "openai:gpt-5-mini"');
  if (colon < 0) {
    throw new ModelSpecError(
      `model spec "${text}" has no provider; expected "provider:name", e.g. "openai:${text}"`,
    );
  }
  const provider = text.slice(0, colon).toLowerCase();
  const name = text.slice(colon + 1).trim();
  if (provider === "") {
    throw new ModelSpecError(
      `model spec "${text}" has no provider before ":"; expected e.g. "openai:${name}"`,
    );
  }
  if (name === "") throw new ModelSpecError(`model spec "${text}" has no model name after "${provider}:"`);
  if (!(SUPPORTED_PROVIDERS as readonly string[]).includes(provider)) {
    throw new ModelSpecError(
      `model spec "${text}": unknown provider "${provider}" (supported: ${SUPPORTED_PROVIDERS.join(", ")}; ` +
        'other OpenAI-compatible servers work through "openai:" with a baseUrl)',
    );
  }
  return { provider: provider as Provider, name };
}

export function formatModelSpec(spec: ModelSpec): string {
  return `${spec.provider}:${spec.name}`;
}
