import type { Candidate } from "../core/types.ts";

/**
 * The evaluation slots. A candidate whose edit applied waits here for one of
 * `concurrency.evaluations` slots and takes one the moment it is free: when it
 * is queued, and when an evaluation frees its slot. A slot is freed once the
 * candidate's screen, evaluation, gate and noise rounds end, before it is
 * settled (which waits its turn in the sequencer), so a slow commit never holds
 * an evaluation back.
 */
export class EvaluationSlots {
  private readonly waiting: Candidate[] = [];
  private busy = 0;

  /**
   * @param begin starts the candidate's evaluation in a slot (it must call `free` when done)
   * @param started told after any start: a shorter queue may let the run propose again
   */
  constructor(
    private readonly max: number,
    private readonly begin: (candidate: Candidate) => void,
    private readonly started: () => void,
  ) {}

  /** Candidates waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  add(...candidates: Candidate[]): void {
    this.waiting.push(...candidates);
    this.fill();
  }

  /** An evaluation ended: its slot goes to the next candidate waiting. */
  free(): void {
    this.busy--;
    this.fill();
  }

  /** Starts waiting candidates while a slot is free. */
  fill(): void {
    let any = false;
    while (this.busy < this.max && this.waiting.length > 0) {
      this.busy++;
      any = true;
      this.begin(this.waiting.shift() as Candidate);
    }
    if (any) this.started();
  }
}
