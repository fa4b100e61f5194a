/** Providers this version can talk to. */
export const SUPPORTED_PROVIDERS = ["openai"] as const;

/** Providers we recognise by name but cannot call yet, so their error can say so instead of "unknown". */
const PLANNED_PROVIDERS = ["anthropic", "gemini"] as const;

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
  if ((PLANNED_PROVIDERS as readonly string[]).includes(provider)) {
    throw new ModelSpecError(
      `model spec "${text}": provider "${provider}" is not supported yet in this version ` +
        `(supported: ${SUPPORTED_PROVIDERS.join(", ")}; OpenAI-compatible servers work through "openai:" with a baseUrl)`,
    );
  }
  if (!(SUPPORTED_PROVIDERS as readonly string[]).includes(provider)) {
    throw new ModelSpecError(
      `model spec "${text}": unknown provider "${provider}" (supported: ${SUPPORTED_PROVIDERS.join(", ")})`,
    );
  }
  return { provider: provider as Provider, name };
}

export function formatModelSpec(spec: ModelSpec): string {
  return `${spec.provider}:${spec.name}`;
}
