import type { Evaluation } from "../core/types.ts";
import type { Limits } from "../evaluate/candidate.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { Task } from "../task/contract.ts";
import { type AuditReport, auditProgram, type BaselineMemo } from "./audit.ts";
import { WEAKNESS_CLASSES } from "./verdict.ts";

/**
 * `audit.onNewBest`: a candidate whose train score would make it the run's
 * new best is audited against the seed first. One with a weakness does not
 * become a program (so never the best): its evaluation is stored as invalid,
 * the audit's summary as its error and the weaknesses in its feedback, which
 * the next prompt shows. Only train and stress are probed: the test split
 * stays unseen by anything that steers the search.
 */
export class AuditGate {
  private readonly memo: BaselineMemo = {};

  constructor(
    private readonly task: Task,
    private readonly sandbox: Sandbox,
    private readonly limits?: Partial<Limits>,
  ) {}

  /** The evaluation to store: as given, or invalid with why when the audit finds a weakness. */
  async review(code: string, evaluation: Evaluation, bestScore: number): Promise<Evaluation> {
    if (evaluation.status !== "ok" || evaluation.score <= bestScore || this.task.external) return evaluation;
    let report: AuditReport;
    try {
      report = await auditProgram({
        task: this.task,
        sandbox: this.sandbox,
        code,
        splits: ["train", "stress"],
        baselineMemo: this.memo,
        ...(this.limits ? { limits: this.limits } : {}),
      });
    } catch (err) {
      // The audit could not run (the task's stress split failed): the evaluation stands, and says so.
      const why = err instanceof Error ? err.message : String(err);
      return {
        ...evaluation,
        feedback: `${evaluation.feedback}\n\n(the audit of this new best failed: ${why})`,
      };
    }
    if (report.weaknesses.length === 0) return evaluation;
    return {
      ...evaluation,
      status: "invalid",
      score: 0,
      error: `audit: ${report.summary}`,
      feedback: `${evaluation.feedback}\n\n${weaknessFeedback(report)}`,
    };
  }
}

/** What the next prompt is told: each class found, with its first few probes. */
export function weaknessFeedback(report: AuditReport): string {
  const lines = [
    `The train score (${report.summary}) would have made this program the best, but an audit against the seed found weaknesses, so it was not kept:`,
  ];
  for (const c of WEAKNESS_CLASSES) {
    const found = report.weaknesses.filter((w) => w.class === c);
    for (const w of found.slice(0, 3)) lines.push(`- ${c} on ${w.where}: ${w.reason}`);
    if (found.length > 3) lines.push(`- ${c} on ${found.length - 3} more probes`);
  }
  return lines.join("\n");
}
