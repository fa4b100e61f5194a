/**
 * The order of the steps that decide what a selection sees. A step is a
 * selection (the strategy's select, the prompt read from the store, the
 * model picked and the request sent) or a commit (a proposal stored; a
 * candidate settled: ingested by the strategy and stored). Steps run one at a
 * time, so each selection sees a well-defined prefix of the commits; it
 * records how many (its basis) with its proposal.
 *
 * Live, steps run in the order they ask. A replay passes the recorded order
 * (`scheduleOf`): a step then waits for its turn, so every selection sees
 * exactly what it saw when the run was recorded, whatever the timing of the
 * replay's evaluations. A step the schedule does not name runs once the
 * schedule is done.
 */
import type { RunEvent } from "../core/events.ts";

type Step = `select:${number}` | `propose:${number}` | `settle:${number}`;

interface Waiting {
  key: Step;
  start: () => void;
}

export class Sequencer {
  /** Commits done over the whole run (restored on resume): the basis a selection records. */
  commits: number;
  private readonly schedule: readonly Step[] | null;
  private position = 0;
  private busy = false;
  private readonly waiting: Waiting[] = [];
  /** Steps that will never come (a dropped proposal, a selection cancelled by a stop): passed over. */
  private readonly skipped = new Set<Step>();
  private readonly selected = new Set<number>();
  private selecting = true;

  constructor(commits = 0, schedule?: readonly string[] | null) {
    this.commits = commits;
    this.schedule = (schedule as readonly Step[] | null | undefined) ?? null;
  }

  /** Whether a recorded order is being followed. */
  get replaying(): boolean {
    return this.schedule !== null && this.position < this.schedule.length;
  }

  /**
   * Runs iteration's selection in its turn; undefined, without running it,
   * once selections are stopped.
   */
  async select<T>(iteration: number, fn: () => Promise<T>): Promise<T | undefined> {
    await this.turn(`select:${iteration}`);
    try {
      if (!this.selecting) return undefined;
      this.selected.add(iteration);
      return await fn();
    } finally {
      this.done();
    }
  }

  /** Runs a commit in its turn; it counts towards the basis of later selections. */
  async commit<T>(kind: "propose" | "settle", iteration: number, fn: () => Promise<T>): Promise<T> {
    await this.turn(`${kind}:${iteration}`);
    try {
      return await fn();
    } finally {
      this.commits++;
      this.done();
    }
  }

  /** An iteration's proposal was dropped with nothing stored: its commits will not come. */
  drop(iteration: number): void {
    this.skipped.add(`propose:${iteration}`).add(`settle:${iteration}`);
    this.next();
  }

  /** An iteration's candidate settles with its proposal (a rejected edit): no settle commit comes. */
  settledWithProposal(iteration: number): void {
    this.skipped.add(`settle:${iteration}`);
  }

  /**
   * No selection runs from now on (the run is stopping): waiting ones return
   * undefined, and the recorded steps of iterations not yet selected are
   * passed over. Commits keep their recorded order.
   */
  stopSelecting(): void {
    this.selecting = false;
    this.next();
  }

  private turn(key: Step): Promise<void> {
    return new Promise<void>((start) => {
      this.waiting.push({ key, start });
      this.next();
    });
  }

  private done(): void {
    this.busy = false;
    this.next();
  }

  /** Starts the next step whose turn it is, if none is running. */
  private next(): void {
    if (this.busy) return;
    this.skipPassed();
    const at = this.waiting.findIndex((w) => this.mayRun(w.key));
    if (at < 0) return;
    const [step] = this.waiting.splice(at, 1) as [Waiting];
    if (this.schedule?.[this.position] === step.key) this.position++;
    this.busy = true;
    step.start();
  }

  private mayRun(key: Step): boolean {
    // A cancelled selection only returns: it may go at once.
    if (key.startsWith("select:") && !this.selecting) return true;
    if (!this.replaying) return true;
    return this.schedule?.[this.position] === key;
  }

  /** Moves the schedule past steps that will never come. */
  private skipPassed(): void {
    const s = this.schedule;
    if (!s) return;
    while (this.position < s.length) {
      const key = s[this.position] as Step;
      const iteration = Number(key.slice(key.indexOf(":") + 1));
      const never =
        this.skipped.has(key) || (!this.selecting && !this.selected.has(iteration) && iteration > 0);
      if (!never) break;
      this.position++;
    }
  }
}

/**
 * The recorded order of a run's steps, from its stored events (in seq order):
 * each commit where it was stored, each selection just after the commits it
 * saw. Null when the run recorded no bases (it was stored before they were).
 * `iterations` leaves out the steps of later iterations (a replay of a prefix).
 */
export function scheduleOf(
  events: readonly RunEvent[],
  iterations = Number.POSITIVE_INFINITY,
): string[] | null {
  const commits: Step[] = [];
  const selections: { iteration: number; basis: number }[] = [];
  const iterationOf = new Map<string, number>();
  for (const e of events) {
    if (e.type === "candidate_proposed") {
      const iteration = e.iteration;
      iterationOf.set(e.candidateId, iteration);
      if (iteration === 0) continue;
      if (typeof e.basis !== "number") return null;
      selections.push({ iteration, basis: e.basis });
      commits.push(`propose:${iteration}`);
    } else if (e.type === "evaluation_finished" || e.type === "candidate_screened") {
      const iteration = iterationOf.get(e.candidateId);
      if (iteration !== undefined) commits.push(`settle:${iteration}`);
    }
  }
  selections.sort((a, b) => a.iteration - b.iteration);
  const steps: Step[] = [];
  let s = 0;
  for (let c = 0; c <= commits.length; c++) {
    while (s < selections.length && (selections[s] as { basis: number }).basis <= c) {
      steps.push(`select:${(selections[s] as { iteration: number }).iteration}`);
      s++;
    }
    if (c < commits.length) steps.push(commits[c] as Step);
  }
  return steps.filter((key) => Number(key.slice(key.indexOf(":") + 1)) <= iterations);
}
