/**
 * Noise-aware ranking (docs/architecture.md, "Noisy tasks"). A task that lists
 * `noisy` metrics has scores that move with the machine's load, so one lucky
 * measurement must not make a champion. The seed is evaluated `repeats` more
 * times at the start (the noise floor); a candidate whose single evaluation
 * would make it the best is evaluated `repeats` more times, each run followed
 * by one of the incumbent best, so both see the same machine conditions.
 *
 * The rule: each side's value is the median of its runs (one wild run moves it
 * little) and its spread is half their range; the candidate wins when its
 * median beats the incumbent's by more than the larger of the two spreads. Its
 * score is then the incumbent's stored score plus that measured difference, so
 * bests measured under different loads stay on one scale; a candidate that
 * loses is ranked no higher than the incumbent (a tie keeps the incumbent).
 */
import { median } from "../core/stats.ts";
import type { Candidate, Evaluation, NoiseMeasure, Program } from "../core/types.ts";
import type { Task } from "../task/contract.ts";
import type { RunConfig } from "./config.ts";

/** Evaluates code again on the train split past the cache, under a job key of its own. */
export type Reevaluate = (code: string, key: string) => Promise<Evaluation>;

/** A run's train score as a sample: a failed run (a timeout under load, a crash) counts as 0. */
const sampleOf = (e: Evaluation): number => (e.status === "ok" ? e.score : 0);

/** The median of samples and half their range. */
export function summarise(samples: readonly number[]): { median: number; spread: number } {
  return { median: median(samples), spread: (Math.max(...samples) - Math.min(...samples)) / 2 };
}

/** The round's verdict on a candidate's samples against the incumbent's, taken beside them. */
export function judge(
  samples: readonly number[],
  incumbent: { id: string; score: number },
  incumbentSamples: readonly number[],
): NoiseMeasure {
  const own = summarise(samples);
  const theirs = summarise(incumbentSamples);
  return {
    samples: [...samples],
    ...own,
    incumbent: { id: incumbent.id, score: incumbent.score, samples: [...incumbentSamples], ...theirs },
    won: own.median - theirs.median > Math.max(own.spread, theirs.spread),
  };
}

/** The score a measured program is ranked by (see the rule above). */
export function rankedScore(measure: NoiseMeasure): number {
  const versus = measure.incumbent;
  if (!versus) return measure.median;
  const onScale = versus.score + (measure.median - versus.median);
  const score = measure.won ? onScale : Math.min(onScale, versus.score);
  return Math.min(100, Math.max(0, score));
}

/** One line for the user about a measured program (the seed's: its noise floor). */
export function describeMeasure(id: string, measure: NoiseMeasure): string {
  const own = `${measure.median.toFixed(2)} ± ${measure.spread.toFixed(2)} over ${measure.samples.length} evaluations`;
  const versus = measure.incumbent;
  if (!versus) return `noise floor: the seed ${id} scores ${own}`;
  const theirs = `${versus.median.toFixed(2)} ± ${versus.spread.toFixed(2)}`;
  return measure.won
    ? `${id} measured ${own} against the best ${versus.id} at ${theirs}: a clear win`
    : `${id} measured ${own} against the best ${versus.id} at ${theirs}: no clear win (within the spread)`;
}

/** How many re-evaluations a run makes: `evaluation.repeats` for a task with noisy metrics, else none. */
export function repeatsFor(parts: {
  task: Pick<Task, "noisy">;
  config: Pick<RunConfig, "evaluation">;
}): number {
  return parts.task.noisy?.length ? parts.config.evaluation.repeats : 0;
}

/** Tells the noise floor when the seed settles (live or on resume: every session says it). */
export function noticeFloor(
  program: Program,
  task: Pick<Task, "noisy">,
  notice?: (line: string) => void,
): void {
  if (!program.noise || program.noise.incumbent) return;
  notice?.(`${describeMeasure(program.id, program.noise)} (noisy metrics: ${task.noisy?.join(", ")})`);
}

/** Runs the repeated evaluations of a noisy task; `repeats` 0 (or a deterministic task) runs none. */
export class NoiseRounds {
  constructor(
    private readonly repeats: number,
    private readonly reevaluate: Reevaluate,
  ) {}

  /**
   * The seed's floor, or the round of a candidate whose one (ok) evaluation
   * beats the best; nothing for the others. Runs in the candidate's evaluation
   * slot before it settles: a kill mid-round leaves it pending, and resume runs
   * the round again.
   */
  async measure(
    candidate: Candidate,
    evaluation: Evaluation,
    best: Program | undefined,
  ): Promise<NoiseMeasure | undefined> {
    if (this.repeats === 0) return undefined;
    if (candidate.iteration === 0) return this.floor(candidate.id, candidate.code);
    if (!best || evaluation.score <= best.score) return undefined;
    return this.round(candidate.id, candidate.code, best);
  }

  /** The seed's own runs: the floor every later difference is read against. */
  async floor(id: string, code: string): Promise<NoiseMeasure> {
    const samples: number[] = [];
    for (let k = 0; k < this.repeats; k++)
      samples.push(sampleOf(await this.reevaluate(code, `${id}/train/repeat-${k}`)));
    return { samples, ...summarise(samples), won: true };
  }

  /**
   * A would-be best against the incumbent, their runs interleaved. Each run has
   * its own job key (the incumbent's names it), so a queue that stores results
   * by key completes an interrupted round on resume rather than running it twice.
   */
  async round(id: string, code: string, incumbent: Program): Promise<NoiseMeasure> {
    const own: number[] = [];
    const theirs: number[] = [];
    for (let k = 0; k < this.repeats; k++) {
      own.push(sampleOf(await this.reevaluate(code, `${id}/train/repeat-${k}`)));
      theirs.push(sampleOf(await this.reevaluate(incumbent.code, `${id}/train/versus-${incumbent.id}-${k}`)));
    }
    return judge(own, incumbent, theirs);
  }
}
