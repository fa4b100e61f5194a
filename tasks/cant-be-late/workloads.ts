/**
 * The workloads: the published evaluation set (6 environments × 30 traces ×
 * 2 deadlines × 3 restart overheads = 1,080 runs), read from the public trace
 * tarball and split by trace: about 30 % of each environment's traces train,
 * the rest are the held-out test split.
 */
import type { Split, Workload } from "../../src/task/api.ts";
import { DATA_DIR_VARIABLE } from "../_shared/data.ts";
import { tracesLoader } from "../_shared/spot-traces.ts";
import {
  DEADLINE_HOURS,
  type EnvInput,
  RESTART_HOURS,
  type RuleSet,
  type RunSpec,
  TICK_SECONDS,
} from "./simulator.ts";

export { DATA_DIR_VARIABLE };

export const ENVIRONMENTS = [
  "us-west-2a_k80_8",
  "us-west-2b_k80_1",
  "us-west-2b_k80_8",
  "us-west-2a_v100_1",
  "us-west-2a_v100_8",
  "us-west-2b_v100_1",
] as const;

/** Traces per environment in the published set. */
export const TRACES_PER_ENV = 30;
/** Positions (in the published order) of each environment's training traces: 9 of 30, evenly spread. */
export const TRAIN_POSITIONS: readonly number[] = [0, 4, 7, 11, 15, 18, 22, 25, 29];
export const TEST_POSITIONS: readonly number[] = Array.from({ length: TRACES_PER_ENV }, (_, i) => i).filter(
  (i) => !TRAIN_POSITIONS.includes(i),
);

/** Ticks a run can use: up to the longest deadline, and one more that a late run of the published rules needs. */
const TICKS_KEPT = Math.round((Math.max(...DEADLINE_HOURS) * 3600) / TICK_SECONDS) + 2;

export interface StoredTrace {
  /** The file name in its folder, `<n>.json`. */
  id: string;
  /** One character per tick, `1` when spot is available (the files store 1 for unavailable). */
  availability: string;
}

/** environment → restart overhead (h) → the 30 published traces, in published order. */
export type TraceSet = Map<string, Map<number, StoredTrace[]>>;

const PATH =
  /^real\/ddl=search\+task=48\+overhead=(\d\.\d\d)\/real\/([^/]+)\/traces\/random_start\/([^/]+\.json)$/;

const OVERHEADS = new Map(RESTART_HOURS.map((h) => [h.toFixed(2), h]));
const ENVIRONMENT_SET = new Set<string>(ENVIRONMENTS);

/** The published selection of traces, parsed once per archive path. */
export const { archiveFile, loadTraces } = tracesLoader(
  "cant-be-late",
  (p) => {
    const m = PATH.exec(p);
    return m !== null && OVERHEADS.has(m[1] as string) && ENVIRONMENT_SET.has(m[2] as string);
  },
  selectTraces,
);

function selectTraces(files: Map<string, Buffer>, file: string): TraceSet {
  const set: TraceSet = new Map();
  for (const env of ENVIRONMENTS) {
    const byOverhead = new Map<number, StoredTrace[]>();
    for (const [text, hours] of OVERHEADS) {
      const prefix = `real/ddl=search+task=48+overhead=${text}/real/${env}/traces/random_start/`;
      // Lexicographic order of the paths, as the published evaluator lists them.
      const paths = [...files.keys()].filter((p) => p.startsWith(prefix)).sort();
      const eligible = paths
        .map((p) => parseTrace(p, files.get(p) as Buffer, file))
        .filter((t) => t.availability.length >= TICKS_KEPT);
      if (eligible.length < TRACES_PER_ENV) {
        throw new Error(
          `cant-be-late: ${file} holds ${eligible.length} usable traces under ${prefix}, expected at least ${TRACES_PER_ENV}`,
        );
      }
      byOverhead.set(
        hours,
        spreadIndices(eligible.length, TRACES_PER_ENV).map((i) => {
          const t = eligible[i] as StoredTrace;
          return { id: t.id, availability: t.availability.slice(0, TICKS_KEPT) };
        }),
      );
    }
    set.set(env, byOverhead);
  }
  return set;
}

/** `count` indices spread evenly over 0 … n−1, first and last included (the published selection). */
export function spreadIndices(n: number, count: number): number[] {
  const out: number[] = [];
  let prev = -1;
  for (let j = 0; j < count; j++) {
    let i = Math.round((j * (n - 1)) / Math.max(1, count - 1));
    if (i <= prev) i = prev + 1;
    if (i > n - 1) i = n - 1;
    out.push(i);
    prev = i;
  }
  return out;
}

function parseTrace(path: string, bytes: Buffer, archive: string): StoredTrace {
  const where = `cant-be-late: ${archive}: ${path}`;
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw new Error(`${where}: not valid JSON: ${(err as Error).message}`);
  }
  const d = doc as { metadata?: { gap_seconds?: unknown }; data?: unknown };
  if (d?.metadata?.gap_seconds !== TICK_SECONDS) {
    throw new Error(
      `${where}: metadata.gap_seconds is ${String(d?.metadata?.gap_seconds)}, expected ${TICK_SECONDS}`,
    );
  }
  if (!Array.isArray(d.data)) throw new Error(`${where}: field "data" must be an array of 0/1`);
  let availability = "";
  for (let k = 0; k < d.data.length; k++) {
    const v = d.data[k];
    if (v !== 0 && v !== 1) throw new Error(`${where}: data[${k}] is ${JSON.stringify(v)}, expected 0 or 1`);
    availability += v === 0 ? "1" : "0";
  }
  return { id: path.slice(path.lastIndexOf("/") + 1), availability };
}

/** The runs of one environment over the given trace positions, first run repeated at the end. */
export function envWorkload(
  traces: TraceSet,
  env: string,
  positions: readonly number[],
  split: Split,
  rules?: RuleSet,
): Workload<EnvInput> {
  const byOverhead = traces.get(env);
  if (!byOverhead) throw new Error(`cant-be-late: unknown environment ${env}`);
  const strings: string[] = [];
  const ids: string[] = [];
  const index = new Map<string, number>();
  const runs: RunSpec[] = [];
  for (const position of positions) {
    for (const deadlineHours of DEADLINE_HOURS) {
      for (const restartHours of RESTART_HOURS) {
        const stored = byOverhead.get(restartHours)?.[position];
        if (!stored) throw new Error(`cant-be-late: no trace at position ${position} for ${env}`);
        // The overhead folders hold the same traces; send each distinct one once.
        let at = index.get(stored.availability);
        if (at === undefined) {
          at = strings.length;
          strings.push(stored.availability);
          ids.push(stored.id);
          index.set(stored.availability, at);
        }
        runs.push({ trace: at, deadlineHours, restartHours });
      }
    }
  }
  runs.push({ ...(runs[0] as RunSpec) });
  const input: EnvInput = { traces: strings, traceIds: ids, runs };
  if (rules) input.rules = rules;
  return { id: env, split, input };
}

export async function splitWorkloads(split: Split): Promise<Workload<EnvInput>[]> {
  const traces = await loadTraces();
  const positions = split === "train" ? TRAIN_POSITIONS : TEST_POSITIONS;
  return ENVIRONMENTS.map((env) => envWorkload(traces, env, positions, split));
}

/** All 1,080 published runs under the published simulator's rules: for comparison with published scores. */
export async function publishedWorkloads(): Promise<Workload<EnvInput>[]> {
  const traces = await loadTraces();
  const all = Array.from({ length: TRACES_PER_ENV }, (_, i) => i);
  return ENVIRONMENTS.map((env) => envWorkload(traces, env, all, "test", "published"));
}
