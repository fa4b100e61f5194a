import type { Candidate, Evaluation, Settled, Split } from "../core/types.ts";
import type { Rng } from "../core/rng.ts";
import type { JobQueue } from "../queue/queue.ts";
import type { Proposer } from "../search/proposer.ts";
import type { ScreenTools } from "../search/strategy.ts";
import type { Task } from "../task/contract.ts";
import type { RunConfig } from "./config.ts";
import { NoiseRounds, noticeFloor } from "./noise.ts";
import { adaptiveTimeout } from "./time-limit.ts";

/**
 * The engine's way to evaluate, through the job queue: candidates' train
 * evaluations are bounded by the seed's time, and a queue that fails gives an
 * error evaluation, never a throw.
 */
export class Evaluations {
  private trainWorkloads: Promise<string[]> | null = null;
  /** The limit of candidates' train evaluations, once the seed's time is known (evaluation.adaptiveTimeout). */
  private trainTimeoutMs: number | undefined;
  /** A noisy task's re-evaluations of the seed and of would-be bests (noise.ts); none for `repeats` 0. */
  readonly noise: NoiseRounds;

  /** `root` is never advanced: per-candidate streams (a screen's) are forked from it, so they replay. */
  constructor(
    private readonly queue: JobQueue,
    private readonly root: Rng,
    repeats = 0,
  ) {
    this.noise = new NoiseRounds(repeats, (code, key) => this.evaluate(code, "train", { key, fresh: true }));
  }

  /** The seed took `durationMs`: sets the candidates' limit; returns the line telling the user, if any. */
  private seedTook(
    durationMs: number,
    config: RunConfig["evaluation"]["adaptiveTimeout"],
  ): string | undefined {
    const limit = adaptiveTimeout(config, durationMs, this.queue.limits?.timeoutMs);
    this.trainTimeoutMs = limit?.timeoutMs;
    return limit?.line;
  }

  /** What a settled program tells the user: the seed's time sets the limit above; a noisy seed, the noise floor. */
  noticeSettled(
    settled: Settled,
    run: { config: RunConfig; task: Pick<Task, "noisy">; onNotice?: (line: string) => void },
  ): void {
    if (settled.status !== "ok") return;
    if (settled.candidate.iteration === 0) {
      const line = this.seedTook(settled.evaluation.durationMs, run.config.evaluation.adaptiveTimeout);
      if (line) run.onNotice?.(line);
    }
    noticeFloor(settled.program, run.task, run.onNotice);
  }

  /**
   * `workloads`: only these of the split (a screen's subset).
   * `key` names the job (the candidate and its split): a result stored under it is not computed again.
   * `fresh`: past the evaluation cache (a noisy task's re-evaluation, under a key of its own).
   * `chargeTo`: the candidate a task's model calls are charged to (default: the one the key names).
   */
  async evaluate(
    code: string,
    split: Split,
    options: { workloads?: readonly string[]; key?: string; fresh?: boolean; chargeTo?: string } = {},
  ): Promise<Evaluation> {
    const { workloads, key, fresh = false, chargeTo = key?.split("/")[0] } = options;
    try {
      // Candidates are bounded by the seed's time; the held-out test split keeps the task's limit.
      const limit = split === "train" ? this.trainTimeoutMs : undefined;
      return await this.queue.evaluate(code, split, workloads, {
        ...(limit === undefined ? {} : { timeoutMs: limit }),
        ...(key ? { key } : {}),
        ...(fresh ? { fresh } : {}),
        ...(chargeTo ? { chargeTo } : {}),
      });
    } catch (e) {
      return {
        status: "error",
        score: 0,
        metrics: {},
        workloads: [],
        stages: [],
        feedback: "",
        error: `evaluator failed: ${e instanceof Error ? e.message : String(e)}`,
        durationMs: 0,
      };
    }
  }

  /** What a strategy's screen may use for this candidate; `ask` is the proposer's, when it has a model. */
  async screenTools(candidate: Candidate, ask?: Proposer["ask"]): Promise<ScreenTools> {
    this.trainWorkloads ??= this.queue.workloadIds("train");
    // Its own stream, so that asking a model leaves the screen's draws as they were.
    const pick = this.root.fork(`ask:${candidate.id}`);
    const { id: candidateId, iteration } = candidate;
    return {
      trainWorkloads: await this.trainWorkloads,
      evaluate: (code, workloads) => this.evaluate(code, "train", { workloads, chargeTo: candidateId }),
      rng: this.root.fork(`screen:${candidate.id}`),
      ...(ask ? { ask: (role, prompt) => ask({ role, prompt, candidateId, iteration, rng: pick }) } : {}),
    };
  }
}
