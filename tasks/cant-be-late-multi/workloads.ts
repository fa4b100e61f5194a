/**
 * The workloads: the six published scenarios (2 to 9 regions) over the
 * region-aligned traces of the public multi-region tarball. Train: the
 * published runs (traces 0–7, 0–7, 0–5, 0–5, 0–3, 0–1). Test: held-out traces
 * of the same scenarios, numbered from 8 (no trace index is in both splits).
 */
import type { Split, Workload } from "../../src/task/api.ts";
import { DATA_DIR_VARIABLE } from "../_shared/data.ts";
import { tracesLoader } from "../_shared/spot-traces.ts";
import {
  DEADLINE_HOURS,
  type RegionTraces,
  type RuleSet,
  type ScenarioInput,
  TICK_SECONDS,
} from "./simulator.ts";

export { DATA_DIR_VARIABLE };

export interface Scenario {
  name: string;
  /** Zone names as in the tarball, without the `_v100_1` suffix, in the published order. */
  regions: string[];
  /** Trace indices of the published evaluation (the train split). */
  train: number[];
  /** Held-out trace indices. */
  test: number[];
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

export const SCENARIOS: readonly Scenario[] = [
  {
    name: "2_zones_same_region",
    regions: ["us-east-1a", "us-east-1c"],
    train: range(0, 8),
    test: range(8, 20),
  },
  {
    name: "2_regions_east_west",
    regions: ["us-east-2a", "us-west-2a"],
    train: range(0, 8),
    test: range(8, 20),
  },
  {
    name: "3_regions_diverse",
    regions: ["us-east-1a", "us-east-2b", "us-west-2c"],
    train: range(0, 6),
    test: range(8, 14),
  },
  {
    name: "3_zones_same_region",
    regions: ["us-east-1a", "us-east-1c", "us-east-1d"],
    train: range(0, 6),
    test: range(8, 14),
  },
  {
    name: "5_regions_high_diversity",
    regions: ["us-east-1a", "us-east-1f", "us-west-2a", "us-west-2b", "us-east-2b"],
    train: range(0, 4),
    test: range(8, 10),
  },
  {
    name: "all_9_regions",
    regions: [
      "us-east-2a",
      "us-west-2c",
      "us-east-1d",
      "us-east-2b",
      "us-west-2a",
      "us-east-1f",
      "us-east-1a",
      "us-west-2b",
      "us-east-1c",
    ],
    train: range(0, 2),
    test: range(8, 6),
  },
];

/** Ticks a run can use: up to the deadline, and one more that a late run of the published rules needs. */
const TICKS_KEPT = Math.round((DEADLINE_HOURS * 3600) / TICK_SECONDS) + 2;

interface StoredTrace {
  available: string;
  prices: number[];
}

/** `<region>/<index>` → trace, for every region and index any scenario uses. */
type TraceStore = Map<string, StoredTrace>;

const PATH = /^data\/converted_multi_region_aligned\/([^/]+)_v100_1\/(\d+)\.json$/;

/** `<region>/<index>` of every trace a scenario uses. */
const WANTED = new Set(
  SCENARIOS.flatMap((s) =>
    s.regions.flatMap((region) => [...s.train, ...s.test].map((i) => `${region}/${i}`)),
  ),
);

export const { archiveFile, loadTraces } = tracesLoader(
  "cant-be-late-multi",
  (p) => {
    const m = PATH.exec(p);
    return m !== null && WANTED.has(`${m[1]}/${m[2]}`);
  },
  storeTraces,
);

function storeTraces(files: Map<string, Buffer>, file: string): TraceStore {
  const store: TraceStore = new Map();
  for (const [path, bytes] of files) {
    const m = PATH.exec(path) as RegExpExecArray;
    store.set(`${m[1]}/${m[2]}`, parseTrace(`${file}: ${path}`, bytes));
  }
  const missing = [...WANTED].filter((k) => !store.has(k));
  if (missing.length > 0) {
    throw new Error(
      `cant-be-late-multi: ${file} lacks ${missing.length} traces, e.g. converted_multi_region_aligned/${missing[0]?.replace("/", "_v100_1/")}.json`,
    );
  }
  return store;
}

function parseTrace(where: string, bytes: Buffer): StoredTrace {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw new Error(`cant-be-late-multi: ${where}: not valid JSON: ${(err as Error).message}`);
  }
  const d = doc as { metadata?: { gap_seconds?: unknown }; data?: unknown; prices?: unknown };
  if (d?.metadata?.gap_seconds !== TICK_SECONDS) {
    throw new Error(
      `cant-be-late-multi: ${where}: metadata.gap_seconds is ${String(d?.metadata?.gap_seconds)}, expected ${TICK_SECONDS}`,
    );
  }
  if (!Array.isArray(d.data) || d.data.length < TICKS_KEPT) {
    throw new Error(
      `cant-be-late-multi: ${where}: field "data" must be an array of at least ${TICKS_KEPT} 0/1 values`,
    );
  }
  if (!Array.isArray(d.prices) || d.prices.length < TICKS_KEPT) {
    throw new Error(
      `cant-be-late-multi: ${where}: field "prices" must be an array of at least ${TICKS_KEPT} numbers`,
    );
  }
  let available = "";
  const prices: number[] = [];
  for (let k = 0; k < TICKS_KEPT; k++) {
    const v = d.data[k];
    if (v !== 0 && v !== 1) {
      throw new Error(`cant-be-late-multi: ${where}: data[${k}] is ${JSON.stringify(v)}, expected 0 or 1`);
    }
    // The files store 1 for "unavailable".
    available += v === 0 ? "1" : "0";
    const p = d.prices[k];
    if (typeof p !== "number" || !Number.isFinite(p) || p <= 0) {
      throw new Error(
        `cant-be-late-multi: ${where}: prices[${k}] is ${JSON.stringify(p)}, expected a positive number`,
      );
    }
    prices.push(p);
  }
  return { available, prices };
}

/** One scenario's runs over the given trace indices, the first run repeated at the end. */
export function scenarioWorkload(
  store: TraceStore,
  scenario: Scenario,
  indices: readonly number[],
  split: Split,
  rules?: RuleSet,
): Workload<ScenarioInput> {
  const traces: RegionTraces[] = indices.map((id) => {
    const per = scenario.regions.map((r) => store.get(`${r}/${id}`) as StoredTrace);
    return { id, available: per.map((t) => t.available), prices: per.map((t) => t.prices) };
  });
  const runs = [...traces.keys(), 0];
  const input: ScenarioInput = { regions: [...scenario.regions], traces, runs };
  if (rules) input.rules = rules;
  return { id: scenario.name, split, input };
}

export async function splitWorkloads(split: Split): Promise<Workload<ScenarioInput>[]> {
  const store = await loadTraces();
  return SCENARIOS.map((s) => scenarioWorkload(store, s, split === "train" ? s.train : s.test, split));
}

/** The published runs (the train split's) under the published simulator's rules: for comparison. */
export async function publishedWorkloads(): Promise<Workload<ScenarioInput>[]> {
  const store = await loadTraces();
  return SCENARIOS.map((s) => scenarioWorkload(store, s, s.train, "train", "published"));
}
