/**
 * What a recorded run holds for its replay (replay.ts): its model calls, the
 * order of its selections and commits, and its config. Read here, apart from
 * starting the replay, so that building the models (models.ts) does not import
 * the session that builds them.
 */
import { join, resolve } from "node:path";
import type { StoredEvent } from "../core/events.ts";
import type { ModelCall } from "../core/types.ts";
import type { Store } from "../store/store.ts";
import { parseRunConfig, type RunConfig, upgradeStoredConfig } from "./config.ts";
import { InputError } from "../core/errors.ts";
import { requireRunDir, runFiles } from "./run-dir.ts";
import { openRunStore, postgresOf } from "./run-store.ts";
import { scheduleOf } from "./sequencer.ts";

async function withRecorded<T>(dir: string, use: (store: Store) => Promise<T>) {
  const store = await openRunStore(postgresOf(dir) ? dir : requireRunDir(dir, "--replay"));
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

const SCHEDULED = ["candidate_proposed", "evaluation_finished", "candidate_screened"] as const;

/** The recorded order of a run's selections and commits up to `iterations`; null for a run stored before bases. */
export function recordedSchedule(dir: string, iterations: number): Promise<string[] | null> {
  return withRecorded(dir, async (store) => {
    const events: StoredEvent[] = [];
    for (;;) {
      const page = await store.events(events.at(-1)?.seq ?? 0, 10_000, SCHEDULED);
      if (page.length === 0) return scheduleOf(events, iterations);
      events.push(...page);
    }
  });
}

/** The config a recorded run started with. */
export function recordedConfig(dir: string): Promise<RunConfig> {
  return withRecorded(dir, async (store) => {
    const stored = await store.startConfig();
    if (!stored) throw new InputError(`--replay: ${resolve(dir)} never started (no run_started event)`);
    return parseRunConfig(upgradeStoredConfig(stored), join(resolve(dir), runFiles.database));
  });
}
