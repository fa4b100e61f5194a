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
import type { RunConfig } from "./config.ts";
import { recordedConfig, recordedSchedule } from "./recording.ts";
import { type Session, type SessionOptions, startRun } from "./session.ts";

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
