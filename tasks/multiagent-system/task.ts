/**
 * Multi-agent system design (trusted side). The candidate is a team of model
 * agents that turns a program idea into code; the driver returns the team's
 * trace and call log. Here the trace's shape is checked strictly (trace.ts),
 * the guard makes sure the delivered code was verified (guard.ts), and the
 * judge marks the fourteen failure modes (judge.ts, judge.md). Per idea the
 * metric is 1/(1 + failures); a timeout counts as 7 failures and an exception
 * as 14, as in the published evaluator, and the split's score is the mean
 * normalised between 1/15 (all fourteen modes) and 1 (none).
 */
import {
  defineTask,
  type JudgeContext,
  type Metrics,
  normalise,
  type OutputCheck,
  type RunInfo,
  type Workload,
  type WorkloadResult,
} from "../../src/task/api.ts";
import { IDEA_DEADLINE_MS } from "./driver.ts";
import { guard } from "./guard.ts";
import { judgeMessages, judgeTrace, MODES } from "./judge.ts";
import { stressWorkloads } from "./stress.ts";
import { type Outcome, parseOutcome } from "./trace.ts";
import { type IdeaInput, testWorkloads, trainWorkloads } from "./workloads.ts";

/** Failures a trace can have: the fourteen modes. */
export const MAX_FAILURES = MODES.length;
/** The published evaluator's count for a team that runs out of time. */
export const TIMEOUT_FAILURES = 7;
/** The published evaluator's count for a team that throws. */
export const EXCEPTION_FAILURES = 14;
/** Model calls a team may make per idea. */
export const MAX_CALLS = 12;
/** Tokens (prompts and replies) a team may use per idea. */
export const MAX_TOKENS = 40_000;

/** The metric of one trace. */
export function mastScore(failures: number): number {
  return 1 / (1 + Math.min(MAX_FAILURES, Math.max(0, failures)));
}

/** The published anchors: every mode present (1/15) scores 0, none scores 100. */
const ANCHORS = { baseline: mastScore(MAX_FAILURES), target: mastScore(0) };

const modeMetric = (id: string) => `fm_${id.replace(".", "_")}`;

/** What every outcome reports: the size of the work, for the cost estimate in the README. */
function workMetrics(outcome: Outcome): Metrics {
  let requestChars = 0;
  let replyChars = 0;
  for (const c of outcome.calls) {
    for (const m of c.messages) requestChars += m.content.length;
    replyChars += c.reply?.length ?? 0;
  }
  return { model_calls: outcome.calls.length, request_chars: requestChars, reply_chars: replyChars };
}

function penalty(outcome: Outcome, failures: number, kind: "timeout" | "exception"): OutputCheck {
  return {
    valid: true,
    metrics: {
      ...workMetrics(outcome),
      failures,
      mast_score: mastScore(failures),
      task_success: 0,
      timeout: kind === "timeout" ? 1 : 0,
      exception: kind === "exception" ? 1 : 0,
    },
  };
}

export default defineTask<IdeaInput>({
  id: "multiagent-system",
  title: "Multi-agent system design: a team of model agents that fails less often (MAST judge)",
  version: "1",
  dir: import.meta.dirname,
  metric: { name: "mast_score", direction: "maximize", unit: "1/(1+failures)" },
  anchors: ANCHORS,
  // Ideas run one after another, each up to its 60 s deadline (a call in flight may overrun it).
  limits: { timeoutMs: 30 * 60_000, memoryMb: 256, cpuMs: 120_000 },
  models: {
    // Tokens in all (prompts and replies) per idea: the seed's are about 8,500 with assumed reply sizes (README,
    // "What a run costs"); no figure with a real model is given.
    candidate: { maxCalls: MAX_CALLS, maxTokens: MAX_TOKENS },
    judge: { prompt: "judge.md" },
  },

  workloads(split) {
    return split === "train" ? trainWorkloads() : testWorkloads();
  },

  stress: stressWorkloads,

  async check(
    workload: Workload<IdeaInput>,
    output: unknown,
    run: RunInfo | undefined,
    judge: JudgeContext,
  ): Promise<OutputCheck> {
    // The contract gives a judge to a task that declares one; an engine that does not is told so.
    if (judge === undefined)
      throw new Error(`${workload.id}: no judge to ask (this task needs the run's model of role judge)`);
    const parsed = parseOutcome(output, MAX_CALLS);
    if (!parsed.ok) return { valid: false, metrics: {}, error: parsed.error };
    const outcome = parsed.value;
    if (outcome.status === "exception") return penalty(outcome, EXCEPTION_FAILURES, "exception");
    if (outcome.status === "timeout") {
      // The team's realm says it ran out of time; the sandbox's clock must agree, or a team
      // could buy 7 failures whenever the judge would have found more.
      if (run === undefined || run.durationMs < IDEA_DEADLINE_MS) {
        const took = run === undefined ? "an unmeasured time" : `${Math.round(run.durationMs)} ms`;
        return {
          valid: false,
          metrics: workMetrics(outcome),
          error: `the output claims a timeout after ${took}, under the ${IDEA_DEADLINE_MS / 1000} s deadline`,
        };
      }
      return penalty(outcome, TIMEOUT_FAILURES, "timeout");
    }

    const { trace, calls } = outcome;
    const work = workMetrics(outcome);
    const verified = guard(trace, calls, run?.modelCalls);
    if (!verified.ok) return { valid: false, metrics: work, error: `guard: ${verified.error}` };
    const verdict = await judgeTrace(
      judge,
      workload.id,
      judgeMessages(judge.prompt, workload.input.idea, trace, calls),
    );
    if (verdict.addressesJudge !== null) {
      return {
        valid: false,
        metrics: work,
        error: `judge: the judge found text in the trace addressed to it: ${verdict.addressesJudge}`,
      };
    }
    const failures = verdict.present.size;
    const metrics: Metrics = {
      ...work,
      failures,
      mast_score: mastScore(failures),
      task_success: verdict.taskSuccess ? 1 : 0,
      timeout: 0,
      exception: 0,
      steps: trace.steps.length,
      agents: trace.agents.length,
      verdict_pass: verified.verdict === "PASS" ? 1 : 0,
      calls_tied: verified.tied ? 1 : 0,
    };
    for (const category of [1, 2, 3]) {
      metrics[`fc${category}`] = MODES.filter(
        (m) => m.category === category && verdict.present.has(m.id),
      ).length;
    }
    for (const m of MODES) metrics[modeMetric(m.id)] = verdict.present.has(m.id) ? 1 : 0;
    return { valid: true, metrics };
  },

  aggregate(_split, results, workloads) {
    const byId = new Map(results.map((r) => [r.workload, r]));
    const metrics: Metrics = {};
    let invalid = 0;
    let score = 0;
    let failures = 0;
    let success = 0;
    // calls_tied: ideas whose verification the guard tied to a call the bridge served (RunInfo.modelCalls).
    const totals: Record<string, number> = {
      timeout: 0,
      exception: 0,
      fc1: 0,
      fc2: 0,
      fc3: 0,
      calls_tied: 0,
    };
    for (const w of workloads) {
      const r = byId.get(w.id);
      const raw = r?.valid ? r.metrics.mast_score : undefined;
      if (r === undefined || raw === undefined || !Number.isFinite(raw)) {
        invalid++;
        continue;
      }
      score += raw;
      failures += r.metrics.failures ?? 0;
      success += r.metrics.task_success ?? 0;
      for (const k of Object.keys(totals)) totals[k] = (totals[k] ?? 0) + (r.metrics[k] ?? 0);
      metrics[`failures.${w.id}`] = r.metrics.failures ?? 0;
    }
    if (invalid > 0 || workloads.length === 0) return { score: 0, metrics: { ...metrics, invalid } };
    const n = workloads.length;
    Object.assign(metrics, totals, {
      mast_score: score / n,
      failures_per_trace: failures / n,
      total_failures: failures,
      task_success: success / n,
    });
    // The mean of the normalised per-trace scores (the published score) is this, normalise being linear.
    return { score: normalise(score / n, ANCHORS), metrics };
  },

  feedback(results: WorkloadResult[], workloads: Workload<IdeaInput>[]): string {
    const lines: string[] = [];
    const counts = new Map<string, number>();
    for (const r of results) {
      if (!r.valid) lines.push(`${r.workload}: invalid: ${r.error ?? "no valid output"}`);
      for (const m of MODES)
        if (r.metrics[modeMetric(m.id)] === 1) counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
    }
    if (counts.size > 0) {
      const seen = [...counts]
        .sort((a, b) => b[1] - a[1])
        .map(([id, k]) => {
          const mode = MODES.find((m) => m.id === id);
          return `${id} ${mode?.name} (${k} of ${workloads.length})`;
        });
      lines.push(`failure modes the judge found, most frequent first: ${seen.join("; ")}`);
    }
    const valid = results
      .filter((r) => r.valid)
      .sort((a, b) => (b.metrics.failures ?? 0) - (a.metrics.failures ?? 0));
    if (valid.length > 0) lines.push("per idea, most failures first:");
    for (const r of valid) {
      const modes = MODES.filter((m) => r.metrics[modeMetric(m.id)] === 1).map((m) => m.id);
      const why =
        r.metrics.timeout === 1
          ? "timeout"
          : r.metrics.exception === 1
            ? "exception"
            : modes.join(", ") || "none";
      const ok = r.metrics.task_success === 1 ? "task done" : "task not done";
      lines.push(
        `  ${r.workload}: ${r.metrics.failures} failures (${why}), ${ok}, ${r.metrics.model_calls} model calls`,
      );
    }
    return lines.join("\n");
  },
});
