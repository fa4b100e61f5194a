import type { Candidate, Evaluation, NoiseMeasure, Program } from "../core/types.ts";
import { rankedScore } from "./noise.ts";

/**
 * The program a candidate that evaluated ok becomes: one generation below its
 * parent (the seed is generation 0). A noisy task's measured program is
 * ranked by its re-evaluations (`noise`, src/engine/noise.ts), not its first score.
 */
export function programOf(
  candidate: Candidate,
  evaluation: Evaluation,
  parent: Program | undefined,
  createdAt: number,
  noise?: NoiseMeasure,
): Program {
  return {
    id: candidate.id,
    parentId: candidate.iteration === 0 ? null : candidate.parentId,
    code: candidate.code,
    score: noise ? rankedScore(noise) : evaluation.score,
    metrics: evaluation.metrics,
    feedback: evaluation.feedback,
    tag: candidate.tag,
    generation: parent ? parent.generation + 1 : 0,
    iteration: candidate.iteration,
    diff: candidate.diff,
    model: candidate.model,
    createdAt,
    ...(noise ? { noise } : {}),
  };
}

/** What a child gained over its parent, for the learners: nothing for a failure or a fall. */
export function gainOver(evaluation: Evaluation, parent: Program | undefined): number {
  return evaluation.status === "ok" && parent !== undefined
    ? Math.max(0, evaluation.score - parent.score)
    : 0;
}
