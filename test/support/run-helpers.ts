import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRunConfig, type RunConfig } from "../../src/engine/config.ts";
import { startReplay } from "../../src/engine/replay.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import type { Store } from "../../src/store/store.ts";
import { type ChatRequestBody, type MockLlm, type MockResponder, promptOf } from "./mock-llm.ts";

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `adrs-${prefix}-`));
}

/** A txn-scheduling run config against the mock server, small enough for a test. */
export function mockRunConfig(url: string, out: string, overrides: Record<string, unknown> = {}): RunConfig {
  return parseRunConfig(
    {
      task: "txn-scheduling",
      models: [{ model: "openai:mock-coder", baseUrl: url, price: { inputPerMTok: 1, outputPerMTok: 4 } }],
      strategy: { islands: 2, migrationInterval: 3 },
      concurrency: { proposals: 2, evaluations: 2 },
      budget: { iterations: 8 },
      out,
      ...overrides,
    },
    "test config",
  );
}

/** The SAMPLE_SIZE of the current program shown in a prompt (the parent comes before other programs). */
export function parentSampleSize(body: ChatRequestBody): number | null {
  const prompt = promptOf(body);
  const parent = prompt.slice(prompt.indexOf("# Current program"));
  const m = /const SAMPLE_SIZE = (\d+);/.exec(parent);
  return m ? Number(m[1]) : null;
}

/** A model that widens SMF's sample: a real, small improvement of the seed each time. */
export function widenSample(body: ChatRequestBody): string {
  const n = parentSampleSize(body);
  if (n === null) return "I have no idea.";
  return [
    "Sampling more unscheduled transactions lets the greedy step find a better next one.",
    "<<<<<<< SEARCH",
    `const SAMPLE_SIZE = ${n};`,
    "=======",
    `const SAMPLE_SIZE = ${Math.min(100, n + 7)};`,
    ">>>>>>> REPLACE",
  ].join("\n");
}

export async function withStore<T>(dir: string, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await openSqliteStore(join(dir, "run.db"));
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/**
 * Replays the run recorded in `recorded` with the mock refusing every request, and
 * checks that it asked the network nothing and stored what `picture` shows of the recording.
 */
export async function assertReplayIdentical<T>(
  mock: MockLlm,
  responder: MockResponder,
  recorded: string,
  picture: (store: Store) => Promise<T>,
): Promise<void> {
  const before = mock.requests.length;
  mock.setDefault(() => {
    throw new Error("a replay must not call the provider");
  });
  try {
    const out = join(tempDir("replay"), "replayed");
    const session = await startReplay(recorded, out, { env: {} });
    assert.equal((await session.run()).reason, "iterations");
    assert.equal(mock.requests.length, before);
    assert.deepEqual(await withStore(out, picture), await withStore(recorded, picture));
  } finally {
    mock.setDefault(responder);
  }
}
