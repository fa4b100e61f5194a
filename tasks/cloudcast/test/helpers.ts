import { join } from "node:path";
import type { Split } from "../../../src/core/types.ts";
import { evaluateInProcess } from "../../_shared/test/in-process.ts";
import { run } from "../driver.ts";
import type { CloudcastInput } from "../network.ts";
import task from "../task.ts";

export const taskDir = join(import.meta.dirname, "..");

/** Runs a program in-process the way the sandbox would, then scores it with the trusted side. */
export const evaluate = (program: Record<string, unknown>, split: Split) =>
  evaluateInProcess(task, run, program, split);

export function roundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
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
