import { type ClientConfig, createClient, type LlmClient, type Provider } from "../../src/llm/index.ts";
import type { MockLlm } from "./mock-llm.ts";

/** A `provider` client aimed at the mock only: no env, so no real key or base URL can leak in. */
export function mockClient(llm: MockLlm, provider: Provider, options: Partial<ClientConfig> = {}): LlmClient {
  return createClient({
    model: `${provider}:mock-model`,
    baseUrl: llm.urls[provider],
    apiKey: "test-key",
    env: {},
    replyRetryDelayMs: 1,
    ...options,
  });
}
