import type { Split } from "../../../src/core/types.ts";
import { evaluateInProcess } from "../../_shared/test/in-process.ts";
import { run } from "../driver.ts";
import task from "../task.ts";

/** Runs a program in-process the way the sandbox would, then scores it with the trusted side. */
export const evaluate = (program: Record<string, unknown>, split: Split) =>
  evaluateInProcess(task, run, program, split);
