import type { Split } from "../core/types.ts";
import { errorMessage, validateWorkloads } from "../evaluate/validate.ts";
import type { Probe, StressWorkload, Task, Workload } from "../task/contract.ts";

export type AuditSplit = Split | "stress";

/** One workload the audit runs, with what it probes (stress) or nothing (train, test). */
export interface AuditProbe {
  workload: Workload;
  split: AuditSplit;
  probe: Probe | null;
}

export const AUDIT_SPLITS: readonly AuditSplit[] = ["train", "test", "stress"];

/** The workloads of the train, test and stress splits (or those asked for), in that order; a task without `stress` has none of it. */
export async function auditProbes(
  task: Task,
  splits: readonly AuditSplit[] = AUDIT_SPLITS,
): Promise<AuditProbe[]> {
  const probes: AuditProbe[] = [];
  for (const split of ["train", "test"] as const) {
    if (!splits.includes(split)) continue;
    const workloads = validateWorkloads(await task.workloads(split), split);
    for (const workload of workloads) probes.push({ workload, split, probe: null });
  }
  if (splits.includes("stress"))
    for (const w of await stressWorkloads(task))
      probes.push({ workload: w, split: "stress", probe: w.probe });
  return probes;
}

/** The task's stress split, checked: every workload labelled with a probe. Throws a message naming the task. */
export async function stressWorkloads(task: Task): Promise<StressWorkload[]> {
  if (!task.stress) return [];
  let list: unknown;
  try {
    list = await task.stress();
  } catch (err) {
    throw new Error(`task ${task.id}: stress() failed: ${errorMessage(err)}`);
  }
  const workloads = validateWorkloads(list, "stress") as StressWorkload[];
  for (const w of workloads) {
    const p = w.probe as Partial<Probe> | undefined;
    const kinds = ["scale", "edge", "shift"];
    if (!p || !kinds.includes(p.kind as string) || typeof p.what !== "string" || !Number.isFinite(p.size))
      throw new Error(
        `task ${task.id}: stress workload "${w.id}" needs probe { kind: scale|edge|shift, what, size }`,
      );
    if (p.kind === "scale" && typeof p.family !== "string")
      throw new Error(
        `task ${task.id}: scale probe "${w.id}" needs a family (its growth is fitted per family)`,
      );
  }
  return workloads;
}
