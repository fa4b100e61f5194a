import { join } from "node:path";
import { runInNewContext } from "node:vm";
import type { Split, WorkloadResult } from "../../../src/core/types.ts";
import { bundleCandidate } from "../../../src/sandbox/bundle.ts";
import type { SplitScore } from "../../../src/task/contract.ts";
import { run } from "../driver.ts";
import type { CloudcastInput } from "../network.ts";
import task from "../task.ts";

export const taskDir = join(import.meta.dirname, "..");

/**
 * Runs a program in-process the way the sandbox would (its output crosses as
 * JSON, its input is its own copy), then scores it with the trusted side.
 */
export async function evaluate(
  program: Record<string, unknown>,
  split: Split,
): Promise<SplitScore & { results: WorkloadResult[] }> {
  const workloads = await task.workloads(split);
  const results: WorkloadResult[] = workloads.map((w) => {
    const output = roundTrip(run(program, roundTrip(w.input)));
    const check = task.check(w, output);
    return { workload: w.id, valid: check.valid, metrics: check.metrics, error: check.error };
  });
  return { ...task.aggregate(split, results, workloads), results };
}

export function roundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Bundles a program's code as the engine does (its imports resolved against
 * the task folder, platform neutral, with the task's driver) and runs it on
 * one input in a fresh realm.
 */
export async function bundleAndRun(code: string, input: CloudcastInput): Promise<unknown> {
  const bundle = await bundleCandidate({ code, taskDir, driverPath: join(taskDir, "driver.ts") });
  if (!bundle.ok) throw new Error(bundle.error);
  const context: { __adrs?: { run(input: unknown): unknown } } = {};
  runInNewContext(bundle.script, context);
  return roundTrip(context.__adrs?.run(roundTrip(input)));
}

/** A small network for hand-worked cases: every pair linked, prices and throughputs given per pair. */
export function tinyInput(
  regions: string[],
  links: Record<string, [costPerGb: number, throughputGbps: number]>,
  over: Partial<CloudcastInput> = {},
): CloudcastInput {
  const from: number[] = [];
  const to: number[] = [];
  const costPerGb: number[] = [];
  const throughputGbps: number[] = [];
  for (const [key, [c, t]] of Object.entries(links)) {
    const [u, v] = key.split(">") as [string, string];
    from.push(regions.indexOf(u));
    to.push(regions.indexOf(v));
    costPerGb.push(c);
    throughputGbps.push(t);
  }
  return {
    regions,
    links: { from, to, costPerGb, throughputGbps },
    source: regions[0] as string,
    destinations: regions.slice(1, 3),
    dataVolumeGb: 20,
    partitions: 2,
    vmsPerRegion: 1,
    instancePricePerHour: 0.54,
    ingressLimitGbps: { aws: 10, gcp: 16, azure: 16 },
    egressLimitGbps: { aws: 5, gcp: 7, azure: 16 },
    ...over,
  };
}
