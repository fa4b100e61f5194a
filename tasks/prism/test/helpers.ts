import type { Split } from "../../../src/core/types.ts";
import type { Workload } from "../../../src/task/contract.ts";
import { evaluateInProcess } from "../../_shared/test/in-process.ts";
import { run } from "../driver.ts";
import task from "../task.ts";
import type { PrismInput } from "../workloads.ts";

/** Runs a program in-process the way the sandbox would, then scores it with the trusted side. */
export const evaluate = (
  program: Record<string, unknown>,
  split: Split,
  workloads?: Workload<PrismInput>[],
) => evaluateInProcess(task, run, program, split, workloads);
