import type { Split } from "../../../src/core/types.ts";
import { evaluateInProcess } from "../../_shared/test/in-process.ts";
import { run } from "../driver.ts";
import type { Repair, Telemetry } from "../telemetry.ts";
import task from "../task.ts";

/** Runs a program in-process the way the sandbox would, then scores it with the trusted side. */
export const evaluate = (program: Record<string, unknown>, split: Split) =>
  evaluateInProcess(task, run, program, split);

/** Passes every value on unchanged with one confidence. */
export function passthrough(confidence: number) {
  return {
    repair(telemetry: Telemetry): Repair {
      const out: Repair = {};
      for (const [id, r] of Object.entries(telemetry)) {
        out[id] = {
          interface_status: [r.interface_status, r.interface_status, confidence],
          rx_rate: [r.rx_rate, r.rx_rate, confidence],
          tx_rate: [r.tx_rate, r.tx_rate, confidence],
        };
      }
      return out;
    },
  };
}
