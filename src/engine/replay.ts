/**
 * Record and replay. Every model call of a run is stored (model_called, with
 * its exact messages and reply), and every proposal with the number of
 * commits its selection saw (its basis); a replay reruns the recorded run's
 * config with each request answered from that record by its identity (role,
 * model and messages; the candidate's own reply first), without any network.
 *
 * What is guaranteed: the replay stores the same programs, codes, scores,
 * rejections and calls as the recording, whatever the number of proposals in
 * flight, because its selections and commits follow the recorded order
 * (Sequencer): each selection sees what it saw when recorded. Evaluations are
 * computed again; a candidate whose evaluation depends on time (a timeout at
 * the limit) may settle otherwise. A run stored before bases were recorded
 * replays in the ordered mode, exactly when it ran one proposal at a time.
 * The first request the recording cannot answer stops the replay with an
 * error.
 */
import { join, resolve } from "node:path";
import type { StoredEvent } from "../core/events.ts";
import type { ModelCall } from "../core/types.ts";
import { openSqliteStore } from "../store/sqlite.ts";
import { parseRunConfig, type RunConfig, upgradeStoredConfig } from "./config.ts";
import { InputError } from "../core/errors.ts";
import { requireRunDir, runFiles } from "./run-dir.ts";
import { scheduleOf } from "./sequencer.ts";
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
  const schedule = await recordedSchedule(recordedDir, replay.budget.iterations);
  // Without bases only the ordered loop can follow the recording.
  if (!schedule) replay.concurrency.ordered = true;
  return startRun(replay, { ...options, replayFrom: recordedDir, schedule });
}
