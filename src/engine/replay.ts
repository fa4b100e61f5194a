/**
 * Record and replay. Every model call of a run is stored (model_called, with
 * its exact messages and reply); a replay reruns the recorded run's config
 * with each request answered from that record, without any network.
 *
 * What is guaranteed: a run recorded with `concurrency.proposals: 1` replays
 * exactly (the same programs, codes, scores and best), because each selection
 * then sees the same settled history. With more proposals in flight the order
 * in which replies and evaluations settle depends on timing, so a replay
 * follows the recording only while its requests are ones the recording
 * answered; the first one that is not stops the replay with an error
 * (replies are matched by model and messages, not by position).
 */
import { join, resolve } from "node:path";
import type { ModelCall } from "../core/types.ts";
import { openSqliteStore } from "../store/sqlite.ts";
import { parseRunConfig, type RunConfig } from "./config.ts";
import { InputError } from "../core/errors.ts";
import { requireRunDir, runFiles } from "./run-dir.ts";
import { type Session, type SessionOptions, startRun } from "./session.ts";

async function withRecorded<T>(
  dir: string,
  use: (store: Awaited<ReturnType<typeof openSqliteStore>>) => Promise<T>,
) {
  const full = requireRunDir(dir, "--replay");
  const store = await openSqliteStore(join(full, runFiles.database));
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** The model calls recorded in a run directory, in stored order. */
export function readRecording(dir: string): Promise<ModelCall[]> {
  return withRecorded(dir, (store) => store.modelCalls());
}

/** The config a recorded run started with. */
export function recordedConfig(dir: string): Promise<RunConfig> {
  return withRecorded(dir, async (store) => {
    const stored = await store.startConfig();
    if (!stored) throw new InputError(`--replay: ${resolve(dir)} never started (no run_started event)`);
    return parseRunConfig(stored, join(resolve(dir), runFiles.database));
  });
}

/**
 * Starts a new run in `out` that replays the run recorded in `recordedDir`:
 * its config (budget fields may be overridden, e.g. to replay a prefix), its
 * task, and its models answered from the recording.
 */
export async function startReplay(
  recordedDir: string,
  out: string,
  options: SessionOptions & { budget?: Partial<RunConfig["budget"]>; evaluations?: number } = {},
): Promise<Session> {
  const config = await recordedConfig(recordedDir);
  const budget = Object.fromEntries(Object.entries(options.budget ?? {}).filter(([, v]) => v !== undefined));
  const replay: RunConfig = {
    ...config,
    out,
    budget: { ...config.budget, ...budget },
    concurrency: {
      ...config.concurrency,
      ...(options.evaluations === undefined ? {} : { evaluations: options.evaluations }),
    },
  };
  return startRun(replay, { ...options, replayFrom: recordedDir });
}
