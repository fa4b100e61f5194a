/**
 * Negative memory: what was already tried on a program's lineage and did not
 * work (an edit rejected, a child screened out, a failed evaluation, a child
 * that scored below its parent), for the next prompt of that lineage. Fed
 * every settled candidate in stored order, so a resumed run recalls the same.
 */
import type { FailedAttempt, Settled } from "../core/types.ts";

/** Ancestors (beyond the parent) whose failed children a prompt may show. */
const LINEAGE_DEPTH = 4;

interface Attempt extends FailedAttempt {
  iteration: number;
  /** An ok child below its parent (not a failure before negative memory). */
  worse: boolean;
}

export class NegativeMemory {
  private readonly parents = new Map<string, string | null>();
  private readonly scores = new Map<string, number>();
  private readonly failed = new Map<string, Attempt[]>();

  ingest(settled: Settled): void {
    const { candidate } = settled;
    if (settled.status === "ok") {
      this.parents.set(settled.program.id, settled.program.parentId);
      this.scores.set(settled.program.id, settled.program.score);
    }
    if (candidate.iteration === 0) return;
    const reason = reasonOf(settled, this.scores.get(candidate.parentId));
    if (reason === null) return;
    const list = this.failed.get(candidate.parentId) ?? [];
    list.push({
      candidateId: candidate.id,
      iteration: candidate.iteration,
      reason,
      diff: candidate.diff,
      worse: settled.status === "ok",
    });
    this.failed.set(candidate.parentId, list);
  }

  /**
   * The newest `limit` failed attempts on `parentId` and its nearest
   * ancestors, newest first; those on an ancestor name it in `on`. Without
   * `lineage`: the parent's own rejected, screened and failed children only.
   */
  recall(parentId: string, limit: number, lineage = true): FailedAttempt[] {
    const found: Attempt[] = [];
    let at: string | null | undefined = parentId;
    for (let depth = 0; at && depth <= (lineage ? LINEAGE_DEPTH : 0); depth++) {
      for (const a of this.failed.get(at) ?? []) {
        if (!lineage && a.worse) continue;
        found.push(at === parentId ? a : { ...a, on: at });
      }
      at = this.parents.get(at);
    }
    return found
      .sort((a, b) => b.iteration - a.iteration)
      .slice(0, limit)
      .map(({ iteration: _, worse: __, ...attempt }) => attempt);
  }
}

/** Why a settled child counts as a failed attempt, or null when it does not. */
function reasonOf(settled: Settled, parentScore: number | undefined): string | null {
  switch (settled.status) {
    case "rejected":
    case "screened":
      return settled.reason;
    case "failed":
      // As the store words it (src/store/projection.ts): the error, else the feedback's first line.
      return settled.evaluation.error ?? settled.evaluation.feedback.split("\n")[0] ?? "evaluation failed";
    case "ok":
      return parentScore !== undefined && settled.program.score < parentScore
        ? `worse than its parent: score ${settled.program.score.toFixed(2)} < ${parentScore.toFixed(2)}`
        : null;
  }
}
