import type { Candidate, Evaluation, Program } from "../core/types.ts";

/** The program a candidate that evaluated ok becomes: one generation below its parent (the seed is generation 0). */
export function programOf(
  candidate: Candidate,
  evaluation: Evaluation,
  parent: Program | undefined,
  createdAt: number,
): Program {
  return {
    id: candidate.id,
    parentId: candidate.iteration === 0 ? null : candidate.parentId,
    code: candidate.code,
    score: evaluation.score,
    metrics: evaluation.metrics,
    feedback: evaluation.feedback,
    tag: candidate.tag,
    generation: parent ? parent.generation + 1 : 0,
    iteration: candidate.iteration,
    diff: candidate.diff,
    model: candidate.model,
    createdAt,
  };
}

/** What a child gained over its parent, for the learners: nothing for a failure or a fall. */
export function gainOver(evaluation: Evaluation, parent: Program | undefined): number {
  return evaluation.status === "ok" && parent !== undefined
    ? Math.max(0, evaluation.score - parent.score)
    : 0;
}
