/**
 * The workloads of each split.
 *
 * train: the five published broadcast configurations over the published
 * 71-region profiles (egress prices and measured throughput), read from
 * data/cloudcast/. test: held-out configurations drawn from the same five
 * kinds (one provider, or all three), from and to other regions, over a
 * re-measured network (every link's throughput scaled by a random factor);
 * never shown to the search, identical on every run.
 */
import { join, relative } from "node:path";
import { Rng, type Workload } from "../../src/task/api.ts";
import { type CloudcastInput, PROVIDERS, type PerProvider, type Provider, providerOf } from "./network.ts";
import { DATA_DIR_VARIABLE, DataError, dataSetDir, readDataText } from "../_shared/data.ts";

export { DATA_DIR_VARIABLE };

/** The configurations of the published evaluator, in its order. */
export const TRAIN_CONFIGS = ["intra_aws", "intra_azure", "intra_gcp", "inter_agz", "inter_gaz2"] as const;

/** Constants of the published evaluator: VMs per region and the price of one VM (m5.8xlarge spot). */
export const VMS_PER_REGION = 2;
export const INSTANCE_PRICE_PER_HOUR = 0.54;

export function dataDir(): string {
  return dataSetDir("cloudcast");
}

/** A file of the data set (a path under dataDir()), checked against its manifest. */
function readText(file: string): string {
  return readDataText("cloudcast", relative(dataDir(), file));
}

/** Rows of a simple CSV (no quoted fields) as records, checking the columns a caller needs. */
function readCsv(file: string, columns: readonly string[]): { line: number; row: Record<string, string> }[] {
  const lines = readText(file).split(/\r?\n/);
  const header = (lines[0] ?? "").split(",");
  for (const c of columns) {
    if (!header.includes(c)) throw new Error(`cloudcast: ${file}: no column "${c}" in the header`);
  }
  const rows: { line: number; row: Record<string, string> }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const text = lines[i] as string;
    if (text.trim() === "") continue;
    const cells = text.split(",");
    if (cells.length !== header.length) {
      throw new Error(`cloudcast: ${file}:${i + 1}: ${cells.length} fields, expected ${header.length}`);
    }
    const row: Record<string, string> = {};
    header.forEach((h, k) => {
      row[h] = cells[k] as string;
    });
    rows.push({ line: i + 1, row });
  }
  return rows;
}

function number(file: string, line: number, column: string, text: string | undefined): number {
  const v = Number(text);
  if (text === undefined || text.trim() === "" || !Number.isFinite(v)) {
    throw new Error(`cloudcast: ${file}:${line}: ${column} "${text}" is not a number`);
  }
  return v;
}

export interface Profiles {
  regions: string[];
  links: CloudcastInput["links"];
}

const profileCache = new Map<string, Profiles>();

/**
 * The network of the profiles: regions in order of first appearance in
 * throughput.csv, one link per row of it (throughput_sent, bit/s, times the
 * VMs per region, in Gbit/s), priced from cost.csv.
 */
export function loadProfiles(): Profiles {
  const dir = dataDir();
  const cached = profileCache.get(dir);
  if (cached) return cached;
  const costFile = join(dir, "cost.csv");
  const tputFile = join(dir, "throughput.csv");
  const price = new Map<string, number>();
  for (const { line, row } of readCsv(costFile, ["src", "dest", "cost"])) {
    price.set(`${row.src}\t${row.dest}`, number(costFile, line, "cost", row.cost));
  }
  const regions: string[] = [];
  const index = new Map<string, number>();
  const regionId = (name: string, line: number) => {
    let i = index.get(name);
    if (i === undefined) {
      try {
        providerOf(name);
      } catch (e) {
        throw new Error(`cloudcast: ${tputFile}:${line}: ${(e as Error).message}`);
      }
      i = regions.length;
      index.set(name, i);
      regions.push(name);
    }
    return i;
  };
  const links: CloudcastInput["links"] = { from: [], to: [], costPerGb: [], throughputGbps: [] };
  const seen = new Set<string>();
  for (const { line, row } of readCsv(tputFile, ["src_region", "dst_region", "throughput_sent"])) {
    const src = row.src_region as string;
    const dst = row.dst_region as string;
    if (src === dst) continue;
    const key = `${src}\t${dst}`;
    if (seen.has(key)) throw new Error(`cloudcast: ${tputFile}:${line}: ${src} → ${dst} is listed twice`);
    seen.add(key);
    const cost = price.get(key);
    if (cost === undefined) throw new Error(`cloudcast: ${costFile}: no price for ${src} → ${dst}`);
    const bits = number(tputFile, line, "throughput_sent", row.throughput_sent);
    if (!(bits > 0)) throw new Error(`cloudcast: ${tputFile}:${line}: throughput_sent must be > 0`);
    links.from.push(regionId(src, line));
    links.to.push(regionId(dst, line));
    links.costPerGb.push(cost);
    links.throughputGbps.push((VMS_PER_REGION * bits) / 1e9);
  }
  const profiles = { regions, links };
  profileCache.set(dir, profiles);
  return profiles;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function limits(file: string, field: string, v: unknown): PerProvider {
  if (!isRecord(v)) throw new Error(`cloudcast: ${file}: ${field} must be an object of limits by provider`);
  const out = {} as PerProvider;
  for (const p of PROVIDERS) {
    const x = v[p];
    if (typeof x !== "number" || !(x > 0))
      throw new Error(`cloudcast: ${file}: ${field}.${p} must be a number > 0`);
    out[p] = x;
  }
  return out;
}

/** One published configuration file, over the given profiles. */
export function readConfig(file: string, profiles: Profiles): CloudcastInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readText(file));
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new Error(`cloudcast: ${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!isRecord(parsed)) throw new Error(`cloudcast: ${file} must hold an object`);
  const known = new Set(profiles.regions);
  const region = (field: string, v: unknown): string => {
    if (typeof v !== "string" || !known.has(v)) {
      throw new Error(`cloudcast: ${file}: ${field} ${JSON.stringify(v)} is not a region of the profiles`);
    }
    return v;
  };
  const source = region("source_node", parsed.source_node);
  if (!Array.isArray(parsed.dest_nodes) || parsed.dest_nodes.length === 0) {
    throw new Error(`cloudcast: ${file}: dest_nodes must be a non-empty array of regions`);
  }
  const destinations = parsed.dest_nodes.map((d, i) => region(`dest_nodes[${i}]`, d));
  const volume = parsed.data_vol;
  if (typeof volume !== "number" || !(volume > 0))
    throw new Error(`cloudcast: ${file}: data_vol must be a number > 0`);
  const partitions = parsed.num_partitions;
  if (typeof partitions !== "number" || !Number.isInteger(partitions) || partitions < 1) {
    throw new Error(`cloudcast: ${file}: num_partitions must be a positive integer`);
  }
  return {
    regions: profiles.regions,
    links: profiles.links,
    source,
    destinations,
    dataVolumeGb: volume,
    partitions,
    vmsPerRegion: VMS_PER_REGION,
    instancePricePerHour: INSTANCE_PRICE_PER_HOUR,
    ingressLimitGbps: limits(file, "ingress_limit", parsed.ingress_limit),
    egressLimitGbps: limits(file, "egress_limit", parsed.egress_limit),
  };
}

const trainCache = new Map<string, Workload<CloudcastInput>[]>();

export function trainWorkloads(): Workload<CloudcastInput>[] {
  const dir = dataDir();
  const cached = trainCache.get(dir);
  if (cached) return cached;
  const profiles = loadProfiles();
  const workloads = TRAIN_CONFIGS.map((id) => ({
    id,
    split: "train" as const,
    input: readConfig(join(dir, "configs", `${id}.json`), profiles),
  }));
  trainCache.set(dir, workloads);
  return workloads;
}

// ---------------------------------------------------------------------------
// Held-out test split.

const TEST_SEED = 0xc10d_ca57;
/** σ of the log-normal factor applied to every link's throughput in a test network. */
const THROUGHPUT_NOISE = 0.15;

/** The kinds of the published configurations: one provider (source and all destinations), or all three. */
const KINDS: { id: string; provider: Provider | null; destinations: number }[] = [
  { id: "aws", provider: "aws", destinations: 6 },
  { id: "azure", provider: "azure", destinations: 6 },
  { id: "gcp", provider: "gcp", destinations: 6 },
  { id: "mixed6", provider: null, destinations: 6 },
  { id: "mixed7", provider: null, destinations: 7 },
];

/** A copy of the profiles' network with each link's throughput scaled by exp(σ·N(0, 1)). */
export function remeasured(profiles: Profiles, rng: Rng): Profiles {
  return {
    regions: profiles.regions,
    links: {
      ...profiles.links,
      throughputGbps: profiles.links.throughputGbps.map(
        (t) => Math.round(t * Math.exp(THROUGHPUT_NOISE * rng.normal()) * 1e6) / 1e6,
      ),
    },
  };
}

function drawConfig(
  profiles: Profiles,
  kind: (typeof KINDS)[number],
  rng: Rng,
): Pick<CloudcastInput, "source" | "destinations"> {
  const pool = profiles.regions.filter((r) => kind.provider === null || providerOf(r) === kind.provider);
  for (;;) {
    const picked = rng.shuffle([...pool]).slice(0, kind.destinations + 1);
    const [source, ...destinations] = picked as [string, ...string[]];
    // A mixed broadcast reaches every provider, as the published inter_* ones do.
    if (kind.provider === null && new Set(destinations.map(providerOf)).size < PROVIDERS.length) continue;
    return { source, destinations };
  }
}

const testCache = new Map<string, Workload<CloudcastInput>[]>();

/** Two configurations of each kind, each over its own re-measured network; limits as published. */
export function testWorkloads(): Workload<CloudcastInput>[] {
  const dir = dataDir();
  const cached = testCache.get(dir);
  if (cached) return cached;
  const profiles = loadProfiles();
  const template = (trainWorkloads()[0] as Workload<CloudcastInput>).input;
  const root = new Rng(TEST_SEED);
  const workloads: Workload<CloudcastInput>[] = [];
  for (const kind of KINDS) {
    for (let i = 1; i <= 2; i++) {
      const id = `${kind.id}_${i}`;
      const rng = root.fork(id);
      const network = remeasured(profiles, rng.fork("network"));
      workloads.push({
        id,
        split: "test",
        input: { ...template, ...network, ...drawConfig(profiles, kind, rng.fork("config")) },
      });
    }
  }
  testCache.set(dir, workloads);
  return workloads;
}
