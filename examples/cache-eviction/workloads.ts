/**
 * Request traces for the cache-eviction example, generated from fixed seeds
 * (trusted side: the evaluator receives only the traces of the split it runs).
 */
import { Rng, type Split, type Workload } from "../../src/task/api.ts";

export interface CacheInput {
  /** How many keys the cache holds. */
  capacity: number;
  /** The keys requested, in order. */
  trace: number[];
}

const LENGTH = 3000;

/** Popular keys by a Zipf-like law over 400 keys: recency and frequency both matter. */
function zipf(rng: Rng): CacheInput {
  const keys = 400;
  const weights = Array.from({ length: keys }, (_, k) => 1 / (k + 1) ** 0.9);
  const total = weights.reduce((a, b) => a + b, 0);
  // A random relabelling, so that key numbers say nothing about popularity.
  const label = rng.shuffle(Array.from({ length: keys }, (_, k) => k));
  const trace: number[] = [];
  for (let i = 0; i < LENGTH; i++) {
    let x = rng.next() * total;
    let k = 0;
    while (k < keys - 1 && x >= (weights[k] as number)) {
      x -= weights[k] as number;
      k++;
    }
    trace.push(label[k] as number);
  }
  return { capacity: 40, trace };
}

/** A small hot set, interrupted by long scans of keys never seen again: scans flush an LRU cache. */
function scan(rng: Rng): CacheInput {
  const trace: number[] = [];
  let fresh = 1000;
  while (trace.length < LENGTH) {
    for (let i = 0; i < 120 && trace.length < LENGTH; i++) trace.push(rng.int(30));
    const run = 40 + rng.int(40);
    for (let i = 0; i < run && trace.length < LENGTH; i++) trace.push(fresh++);
  }
  return { capacity: 36, trace };
}

/** A loop a little larger than the cache: LRU never hits, keeping a fixed part always does. */
function loop(rng: Rng): CacheInput {
  const size = 50 + rng.int(10);
  const trace: number[] = [];
  for (let i = 0; trace.length < LENGTH; i++) trace.push(rng.next() < 0.1 ? 500 + rng.int(200) : i % size);
  return { capacity: 40, trace };
}

const FAMILIES: [string, (rng: Rng) => CacheInput][] = [
  ["zipf", zipf],
  ["scan", scan],
  ["loop", loop],
];

export function cacheWorkloads(split: Split): Workload<CacheInput>[] {
  const root = new Rng(split === "train" ? 0xcace_0001 : 0xcace_7e57);
  const copies = split === "train" ? 1 : 2;
  const out: Workload<CacheInput>[] = [];
  for (const [family, make] of FAMILIES) {
    for (let i = 1; i <= copies; i++) {
      const id = `${family}_${i}`;
      out.push({ id, split, input: make(root.fork(id)) });
    }
  }
  return out;
}
