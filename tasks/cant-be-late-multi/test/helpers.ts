import type { Split } from "../../../src/core/types.ts";
import type { Workload } from "../../../src/task/contract.ts";
import { evaluateInProcess } from "../../_shared/test/in-process.ts";
import { run } from "../driver.ts";
import type { ScenarioInput } from "../simulator.ts";
import task from "../task.ts";

/** Runs a program in-process the way the sandbox would, then scores it with the trusted side. */
export const evaluate = (program: Record<string, unknown>, split: Split | Workload<ScenarioInput>[]) =>
  typeof split === "string"
    ? evaluateInProcess(task, run, program, split)
    : evaluateInProcess(task, run, program, "train", split);
