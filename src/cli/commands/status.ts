import { existsSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_DRIFT_ALARM, describeDrift, driftAlarmIn, driftOf } from "../../audit/drift.ts";
import { readConfigFile } from "../../engine/config.ts";
import { runFiles } from "../../engine/run-dir.ts";
import { editReport, formatEdits } from "./edits.ts";
import type { NoiseSummary, Store } from "../../store/store.ts";
import { liveState, withRunStore } from "./open-run.ts";

export async function statusCommand(
  dir: string,
  options: { json?: boolean; edits?: boolean; store?: string },
): Promise<void> {
  const report = await withRunStore(
    dir,
    async (store) => {
      const summary = await store.summary();
      const state = liveState(dir, summary.state);
      // A killed run's clock stopped at its last event (a heartbeat at most a few seconds before the kill).
      const active = await store.activeSeconds(
        state === "interrupted" ? (summary.lastEventAt ?? undefined) : undefined,
      );
      const hours = active / 3600;
      return {
        dir,
        task: summary.taskId,
        state,
        stopReason: summary.stopReason,
        iterations: summary.iterations,
        evaluations: summary.evaluations,
        programs: summary.programs,
        rejectedEdits: summary.rejectedEdits,
        screened: summary.screened,
        failedEvaluations: summary.failedEvaluations,
        best: summary.best,
        noise: summary.noise,
        drift: driftOf(summary.best, driftAlarmOf(dir)),
        costUsd: summary.costUsd,
        spend: summary.spend,
        spendByRole: summary.spendByRole,
        insights: await latestInsights(store),
        activeSeconds: Math.round(active),
        ...(options.edits ? { edits: await editReport(store) } : {}),
        rate: {
          evaluationsPerMinute: active > 0 ? summary.evaluations / (active / 60) : 0,
          usdPerHour: hours > 0 ? summary.costUsd / hours : 0,
        },
      };
    },
    options.store,
  );
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const b = report.best;
  const lines = [
    `run          ${report.dir}`,
    `task         ${report.task ?? "-"}`,
    `state        ${report.state}${report.stopReason ? ` (${report.stopReason})` : ""}`,
    `iterations   ${report.iterations}   evaluations ${report.evaluations} (${report.failedEvaluations} failed)   rejected edits ${report.rejectedEdits}${report.screened ? `   screened ${report.screened}` : ""}   programs ${report.programs}`,
    `best         ${b ? `${b.id}  score ${b.score.toFixed(2)}${b.spread == null ? "" : ` ± ${b.spread.toFixed(2)}`}  test ${b.testScore == null ? "-" : b.testScore.toFixed(2)}${report.drift ? `  ${describeDrift(report.drift)}` : ""}` : "-"}`,
    ...(report.noise ? [`noise        ${describeNoise(report.noise)}`] : []),
    `cost         $${report.costUsd.toFixed(4)}   ($${report.rate.usdPerHour.toFixed(2)}/hour, ${report.rate.evaluationsPerMinute.toFixed(1)} evaluations/minute over ${formatSeconds(report.activeSeconds)})`,
  ];
  if (report.spend.length > 0) lines.push("by model");
  for (const s of report.spend) {
    const problems = [
      s.failed ? `${s.failed} failed attempt${s.failed === 1 ? "" : "s"}` : "",
      s.empty ? `${s.empty} empty` : "",
      s.truncated ? `${s.truncated} truncated` : "",
      s.unknown ? `${s.unknown} outcome unknown` : "",
    ].filter(Boolean);
    lines.push(
      `  ${s.model.padEnd(28)} ${callsOf(s)}  ${s.inputTokens} in / ${s.outputTokens} out tokens  $${s.costUsd.toFixed(4)}${problems.length ? `  (${problems.join(", ")})` : ""}`,
    );
  }
  if (report.insights) {
    lines.push(`insights     (latest meta-recommendations, by ${report.insights.model})`);
    for (const line of report.insights.text.split("\n").slice(0, 8)) lines.push(`  ${line}`);
  }
  if (report.spendByRole.length > 0) lines.push("by role");
  for (const r of report.spendByRole) {
    lines.push(
      `  ${r.role.padEnd(28)} ${callsOf(r)}  ${r.inputTokens} in / ${r.outputTokens} out tokens  $${r.costUsd.toFixed(4)}`,
    );
  }
  if (report.edits) lines.push(...formatEdits(report.edits));
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** "12 calls", or "12 calls in 15 attempts" when some were retried (each attempt is a ledger entry). */
function callsOf(s: { calls: number; attempts: number }): string {
  const calls = `${String(s.calls).padStart(6)} calls`;
  return s.attempts === s.calls ? calls : `${calls} in ${s.attempts} attempts`;
}

/** The noise floor and the rounds of a noisy task, on one line. */
function describeNoise(n: NoiseSummary): string {
  const floor = n.floor
    ? `floor ± ${n.floor.spread.toFixed(2)} (the seed ${n.floor.median.toFixed(2)} over ${n.floor.samples} evaluations)`
    : "floor -";
  return `${floor}   rounds ${n.rounds} (${n.won} won)   re-evaluations ${n.reevaluations}`;
}

function formatSeconds(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** `audit.driftAlarm` of the run's resolved config (the default when the run predates it). */
function driftAlarmOf(dir: string): number {
  const file = join(dir, runFiles.config);
  if (!existsSync(file)) return DEFAULT_DRIFT_ALARM;
  try {
    return driftAlarmIn(readConfigFile(file));
  } catch {
    // A config.yaml edited into something unreadable: status still reports the run.
    return DEFAULT_DRIFT_ALARM;
  }
}

/** The latest meta-recommendations a strategy stored (shinka's `meta_insights`), or null. */
async function latestInsights(store: Store): Promise<{ text: string; model: string } | null> {
  const events = await store.events(0, Number.MAX_SAFE_INTEGER, ["strategy_event"]);
  const latest = events.findLast((e) => e.type === "strategy_event" && e.kind === "meta_insights");
  if (latest?.type !== "strategy_event") return null;
  const data = latest.data as { text: string; model?: string };
  return { text: data.text, model: data.model ?? "?" };
}
