import type { RunConfig } from "./config.ts";

/**
 * The wall-clock limit of each candidate's train evaluation: a multiple of
 * the seed's evaluation time, at least the floor, at most the evaluator's own
 * limit (the task's, or `evaluation.timeoutMs`). A hung candidate then costs
 * about what a slow honest one would, not the task's fixed limit. Undefined
 * when the setting is off. `line` says it for the log.
 */
export function adaptiveTimeout(
  setting: RunConfig["evaluation"]["adaptiveTimeout"],
  seedMs: number,
  ceilingMs: number | undefined,
): { timeoutMs: number; line: string } | undefined {
  if (setting === false) return undefined;
  const wanted = Math.max(setting.floorMs, Math.ceil(setting.multiple * seedMs));
  const timeoutMs = ceilingMs === undefined ? wanted : Math.min(wanted, ceilingMs);
  const s = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 0)} s`;
  const why =
    ceilingMs !== undefined && wanted >= ceilingMs
      ? "the task's limit"
      : wanted === setting.floorMs
        ? "the floor"
        : `${setting.multiple} × the seed's ${s(seedMs)}`;
  return {
    timeoutMs,
    line: `evaluation time limit: ${s(timeoutMs)} per candidate (${why}; evaluation.adaptiveTimeout: ${setting.multiple} × the seed's time, at least ${s(setting.floorMs)}${ceilingMs === undefined ? "" : `, at most ${s(ceilingMs)}`})`,
  };
}
