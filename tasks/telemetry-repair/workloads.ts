/**
 * The scenarios of each split. The 40 timestamps of the Abilene data are
 * split once (seeded): 30 to train on, 10 held out. Each timestamp gives four
 * scenarios, one per published bug, each perturbed by its own stream of the
 * seeded Rng (keyed by timestamp and bug, so the same in every run and split).
 */
import { join } from "node:path";
import { Rng, type Split, type Workload } from "../../src/task/api.ts";
import { checkCoverage, parseEvaluationCsv, parseTopology, type Snapshot } from "./abilene.ts";
import { BUGS, type Bug, perturb } from "./perturb.ts";
import type { TelemetryInput, Truth } from "./telemetry.ts";
import { DATA_DIR_VARIABLE, dataSetDir, readDataText } from "../_shared/data.ts";

export { DATA_DIR_VARIABLE };

export function dataDir(): string {
  return dataSetDir("telemetry-repair");
}

const snapshotCache = new Map<string, Snapshot[]>();

/** The 40 timestamps, checked against the topology. */
export function snapshots(): Snapshot[] {
  const dir = dataDir();
  const cached = snapshotCache.get(dir);
  if (cached) return cached;
  const csv = join(dir, "evaluation_data.csv");
  const topologyFile = join(dir, "topology.json");
  const rows = parseEvaluationCsv(readDataText("telemetry-repair", "evaluation_data.csv"), csv);
  const topologyText = readDataText("telemetry-repair", "topology.json");
  let json: unknown;
  try {
    json = JSON.parse(topologyText);
  } catch (e) {
    throw new Error(`telemetry-repair: ${topologyFile} is not valid JSON: ${(e as Error).message}`);
  }
  const { links } = parseTopology(json, topologyFile);
  for (const s of rows) checkCoverage(s, links, `${csv} (${s.timestamp})`);
  snapshotCache.set(dir, rows);
  return rows;
}

const SPLIT_SEED = 0x7e1e_2004;
const PERTURB_SEED = 0xab11e0e;
export const TEST_TIMESTAMPS = 10;

/** A scenario: its workload, and the truth the scorer needs (never sent to the program). */
export interface Scenario {
  workload: Workload<TelemetryInput>;
  truth: Truth;
  bug: Bug;
  timestamp: string;
}

/** `2004/03/05 03:00 UTC` → `2004-03-05T0300`. */
function stamp(timestamp: string): string {
  const m = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2})/.exec(timestamp);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}${m[5]}` : timestamp.replace(/\W+/g, "-");
}

const byId = new Map<string, Scenario>();
const splitCache = new Map<string, Scenario[]>();

export function scenarios(split: Split): Scenario[] {
  const key = `${dataDir()}|${split}`;
  const cached = splitCache.get(key);
  if (cached) return cached;
  const all = snapshots();
  const shuffled = new Rng(SPLIT_SEED).shuffle(all.map((_, i) => i));
  const held = new Set(shuffled.slice(0, TEST_TIMESTAMPS));
  const chosen = all.filter((_, i) => (split === "test") === held.has(i));
  const root = new Rng(PERTURB_SEED);
  const list: Scenario[] = [];
  for (const s of chosen) {
    for (const bug of BUGS) {
      const id = `${stamp(s.timestamp)}-${bug}`;
      const input = perturb(s.truth, bug, root.fork(id));
      const scenario = { workload: { id, split, input }, truth: s.truth, bug, timestamp: s.timestamp };
      list.push(scenario);
      byId.set(id, scenario);
    }
  }
  splitCache.set(key, list);
  return list;
}

/** Makes a scenario generated elsewhere (the stress split) known to `scenarioOf`. */
export function registerScenario(scenario: Scenario): void {
  byId.set(scenario.workload.id, scenario);
}

/** The scenario behind a workload id (of a split generated in this process). */
export function scenarioOf(id: string): Scenario | undefined {
  return byId.get(id);
}
