/**
 * The tables of each split.
 *
 * train: the stored beer.csv (the one published dataset small enough to keep)
 * and generated tables shaped like the published movies, BIRD, PDMX and
 * products datasets. test: five generated tables of the same five shapes
 * (a beer-like one in place of the stored file), from other seeds, never shown
 * to the search. Every table gets its published column merges before it is
 * handed to the candidate. Fixed seeds make every run identical.
 */
import { Rng, type Workload } from "../../src/task/api.ts";
import { encodeTable, mergeColumns, parseCsv } from "./datasets.ts";
import { BEER_MERGES, beer, bird, type Dataset, movies, pdmx, products } from "./generators.ts";
import type { TableInput } from "./table.ts";
import { DATA_DIR_VARIABLE, dataPath, readDataText } from "../_shared/data.ts";

export { DATA_DIR_VARIABLE };

export function beerFile(): string {
  return dataPath("llm-sql", "beer.csv");
}

const beerCache = new Map<string, TableInput>();

/** beer.csv with its published merge, dictionary-encoded. */
export function beerTable(): TableInput {
  const file = beerFile();
  const cached = beerCache.get(file);
  if (cached) return cached;
  const raw = parseCsv(readDataText("llm-sql", "beer.csv"), file);
  const table = encodeTable(mergeColumns(raw, BEER_MERGES, file));
  beerCache.set(file, table);
  return table;
}

export function encodeDataset(d: Dataset, source: string): TableInput {
  return encodeTable(mergeColumns(d.table, d.merges, source));
}

const TRAIN_SEED = 0x5a1_2025;
const TEST_SEED = 0x7e57_5a1;

const SHAPES: [string, (rng: Rng) => Dataset][] = [
  ["movies", movies],
  ["bird", bird],
  ["pdmx", pdmx],
  ["products", products],
];

let trainCache: Workload<TableInput>[] | undefined;
let trainCacheFile: string | undefined;
let testCache: Workload<TableInput>[] | undefined;

export function trainWorkloads(): Workload<TableInput>[] {
  const file = beerFile();
  if (trainCache && trainCacheFile === file) return trainCache;
  const root = new Rng(TRAIN_SEED);
  const workloads: Workload<TableInput>[] = [{ id: "beer", split: "train", input: beerTable() }];
  for (const [id, generate] of SHAPES) {
    workloads.push({ id, split: "train", input: encodeDataset(generate(root.fork(id)), `generated ${id}`) });
  }
  trainCache = workloads;
  trainCacheFile = file;
  return workloads;
}

export function testWorkloads(): Workload<TableInput>[] {
  if (testCache) return testCache;
  const root = new Rng(TEST_SEED);
  const workloads: Workload<TableInput>[] = [];
  for (const [id, generate] of [["beer", beer] as [string, (rng: Rng) => Dataset], ...SHAPES]) {
    workloads.push({ id, split: "test", input: encodeDataset(generate(root.fork(id)), `generated ${id}`) });
  }
  testCache = workloads;
  return workloads;
}
