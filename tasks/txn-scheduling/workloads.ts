/**
 * The workloads of each split.
 *
 * train: the three fixed workloads of the published benchmark, read from
 * data/txn-scheduling/. test: generated instances of the same three families,
 * never shown to the search; a fixed seed makes them identical on every run.
 */
import { Rng, type Workload } from "../../src/task/api.ts";
import type { TxnInput } from "./simulator.ts";
import { DATA_DIR_VARIABLE, dataPath, readDataText } from "../_shared/data.ts";

export { DATA_DIR_VARIABLE };

export function trainFile(): string {
  return dataPath("txn-scheduling", "workloads.json");
}

const trainCache = new Map<string, Workload<TxnInput>[]>();

export function trainWorkloads(): Workload<TxnInput>[] {
  const file = trainFile();
  const cached = trainCache.get(file);
  if (cached) return cached;
  const text = readDataText("txn-scheduling", "workloads.json");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`txn-scheduling: ${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!isRecord(parsed)) throw new Error(`txn-scheduling: ${file} must hold an object of workloads`);
  const workloads: Workload<TxnInput>[] = [];
  for (const [id, body] of Object.entries(parsed)) {
    if (!isRecord(body)) {
      throw new Error(`txn-scheduling: ${file}: "${id}" must be an object of transactions`);
    }
    const txns: string[] = [];
    for (const [name, text] of Object.entries(body)) {
      if (typeof text !== "string") {
        throw new Error(`txn-scheduling: ${file}: "${id}.${name}" must be a string`);
      }
      txns.push(text);
    }
    if (txns.length === 0) throw new Error(`txn-scheduling: ${file}: "${id}" has no transactions`);
    workloads.push({ id, split: "train", input: { txns } });
  }
  if (workloads.length === 0) throw new Error(`txn-scheduling: ${file} holds no workloads`);
  trainCache.set(file, workloads);
  return workloads;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------
// Held-out test split: two instances of each family of the train split.

const TEST_SEED = 0x7a5c_2024;
const TXNS_PER_WORKLOAD = 100;
// Hot-set family, fitted by eye to workload_1's key shares, its ~1 rare key
// per transaction, its read share and its identity-order makespan (~450).
const HOT_DECAY = 0.85;
const HOT_FLOOR = 0.01;
const COLD_SHARE = 0.06;
const POSITION_NOISE = 1.5;
const READ_SHARE = 0.445;

/**
 * Hot-set skew (like workload_1): 16 distinct keys per transaction. Keys 1–4
 * are in every transaction, the next hot keys with geometrically decaying
 * likelihood, and about one key per transaction comes from a wide cold range
 * that rarely repeats. A bit under half the ops are reads.
 */
export function hotsetTxns(rng: Rng, count = TXNS_PER_WORKLOAD): string[] {
  const opsPerTxn = 16;
  const always = [1, 2, 3, 4];
  const hotMax = 100;
  const hotWeight: number[] = [];
  // Each hot key has a usual place in a transaction (as if every transaction
  // walked the tables in a common order); this is what lets the stored
  // workload overlap heavily even in arrival order.
  const home: number[] = [];
  for (let k = 0; k <= hotMax; k++) {
    hotWeight.push(k < 5 ? 0 : HOT_DECAY ** (k - 5) + HOT_FLOOR);
    home.push(rng.next() * opsPerTxn);
  }
  const txns: string[] = [];
  for (let t = 0; t < count; t++) {
    const place = new Map<number, number>();
    for (const k of always) place.set(k, (home[k] as number) + rng.normal() * POSITION_NOISE);
    const weight = [...hotWeight];
    while (place.size < opsPerTxn) {
      if (rng.next() < COLD_SHARE) {
        // Log-uniform over the cold range so small ids repeat more than large.
        const k = Math.floor(Math.exp(Math.log(hotMax + 1) + rng.next() * Math.log(5400 / (hotMax + 1))));
        place.set(k, rng.next() * opsPerTxn);
        continue;
      }
      const total = weight.reduce((a, b) => a + b, 0);
      let x = rng.next() * total;
      let k = 0;
      while (k < hotMax && x >= (weight[k] as number)) {
        x -= weight[k] as number;
        k++;
      }
      place.set(k, (home[k] as number) + rng.normal() * POSITION_NOISE);
      weight[k] = 0;
    }
    const ops = [...place.entries()]
      .sort((a, b) => a[1] - b[1])
      .map(([k]) => `${rng.next() < READ_SHARE ? "r" : "w"}-${k}`);
    txns.push(ops.join(" "));
  }
  return txns;
}

/**
 * TPC-C-like (like workload_2): half long transactions touching a warehouse
 * and one of its districts then idling, half short ones that also write the
 * warehouse. Warehouses 1–4, district ids 10·w+1 … 10·w+10.
 */
export function tpccTxns(rng: Rng, count = TXNS_PER_WORKLOAD): string[] {
  const txns: string[] = [];
  const long = Math.floor(count / 2);
  for (let t = 0; t < count; t++) {
    const w = 1 + rng.int(4);
    const d = 10 * w + 1 + rng.int(10);
    if (t < long) txns.push([`r-${w}`, `r-${d}`, `w-${d}`, ...Array(18).fill("*")].join(" "));
    else txns.push(`r-${w} w-${w} r-${d} w-${d} *`);
  }
  return txns;
}

/**
 * Cyclic read-write (like workload_3): each transaction reads one key, idles,
 * then writes another; the first half reads keys 1–5 and writes 6–10, the
 * second half the reverse.
 */
export function cyclicTxns(rng: Rng, count = TXNS_PER_WORKLOAD): string[] {
  const txns: string[] = [];
  const half = Math.floor(count / 2);
  for (let t = 0; t < count; t++) {
    const low = 1 + rng.int(5);
    const high = 6 + rng.int(5);
    const [read, write] = t < half ? [low, high] : [high, low];
    txns.push([`r-${read}`, ...Array(7).fill("*"), `w-${write}`].join(" "));
  }
  return txns;
}

const FAMILIES: [string, (rng: Rng) => string[]][] = [
  ["hotset", hotsetTxns],
  ["tpcc", tpccTxns],
  ["cyclic", cyclicTxns],
];

export function testWorkloads(): Workload<TxnInput>[] {
  const root = new Rng(TEST_SEED);
  const workloads: Workload<TxnInput>[] = [];
  for (const [family, generate] of FAMILIES) {
    for (let i = 1; i <= 2; i++) {
      const id = `${family}_${i}`;
      workloads.push({ id, split: "test", input: { txns: generate(root.fork(id)) } });
    }
  }
  return workloads;
}
