import type { Evaluation, Split } from "../core/types.ts";
import type { Evaluator } from "../evaluate/evaluator.ts";
import type { JobOptions, JobQueue } from "./queue.ts";

/**
 * The default queue: evaluations run in this process's sandbox pool, at once.
 * A job needs no key here: the evaluation cache in the store already keeps a
 * candidate evaluated before a kill from running again on resume.
 */
export class InProcessQueue implements JobQueue {
  constructor(private readonly evaluator: Pick<Evaluator, "evaluate" | "workloadIds" | "limits">) {}

  get limits(): { timeoutMs: number } {
    return this.evaluator.limits;
  }

  evaluate(
    code: string,
    split: Split,
    workloads?: readonly string[],
    options: JobOptions = {},
  ): Promise<Evaluation> {
    const { key: _, ...limits } = options;
    return this.evaluator.evaluate(code, split, workloads, limits);
  }

  workloadIds(split: Split): Promise<string[]> {
    return this.evaluator.workloadIds(split);
  }
}
