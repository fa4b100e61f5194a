/**
 * The 50 published Prism cases (NumPy legacy RNG, seed 42), read from
 * data/prism/ and split in two: even-numbered cases train, odd-numbered
 * cases are the held-out test split. Both halves cover 5–9 GPUs.
 */
import type { Split, Workload } from "../../src/task/api.ts";
import { DATA_DIR_VARIABLE, dataPath, readDataText } from "../_shared/data.ts";

export { DATA_DIR_VARIABLE };

export const GPU_MEMORY_GB = 80;

/** One model to place, as the program sees it. */
export interface ModelSpec {
  modelName: string;
  /** GB of GPU memory the weights take. */
  modelSize: number;
  /** Requests per second. */
  reqRate: number;
  /** Latency objective (the published cases use 5–9). */
  slo: number;
  /** The GPU the model is on now (the published cases number them 0 … n−1). */
  curGpuId: number;
}

/** One case: the GPUs available and the models to place on them. */
export interface PrismInput {
  gpuNum: number;
  gpuMemory: number;
  models: ModelSpec[];
}

export function casesFile(): string {
  return dataPath("prism", "cases.json");
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function positive(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v > 0;
}

const cache = new Map<string, Workload<PrismInput>[]>();

/** All 50 cases, in file order, ids `case_00` … `case_49`. */
export function allCases(): Workload<PrismInput>[] {
  const file = casesFile();
  const cached = cache.get(file);
  if (cached) return cached;
  const text = readDataText("prism", "cases.json");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`prism: ${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.cases)) {
    throw new Error(`prism: ${file} must hold an object with a "cases" array`);
  }
  const memory = parsed.gpu_mem_gb ?? GPU_MEMORY_GB;
  if (memory !== GPU_MEMORY_GB) throw new Error(`prism: ${file}: gpu_mem_gb must be ${GPU_MEMORY_GB}`);
  const workloads: Workload<PrismInput>[] = parsed.cases.map((c: unknown, i: number) => {
    const where = `${file}: cases[${i}]`;
    if (!isRecord(c)) throw new Error(`prism: ${where} must be an object`);
    if (!Number.isInteger(c.gpu_num) || (c.gpu_num as number) < 1) {
      throw new Error(`prism: ${where}.gpu_num must be a positive integer`);
    }
    if (!Array.isArray(c.models) || c.models.length === 0) {
      throw new Error(`prism: ${where}.models must be a non-empty array`);
    }
    const models = c.models.map((m: unknown, j: number): ModelSpec => {
      const at = `${where}.models[${j}]`;
      if (!isRecord(m)) throw new Error(`prism: ${at} must be an object`);
      if (typeof m.model_name !== "string") throw new Error(`prism: ${at}.model_name must be a string`);
      for (const key of ["model_size", "req_rate", "slo"]) {
        if (!positive(m[key])) throw new Error(`prism: ${at}.${key} must be a positive number`);
      }
      if ((m.model_size as number) > GPU_MEMORY_GB) {
        throw new Error(`prism: ${at}.model_size is larger than a GPU (${GPU_MEMORY_GB} GB)`);
      }
      return {
        modelName: m.model_name,
        modelSize: m.model_size as number,
        reqRate: m.req_rate as number,
        slo: m.slo as number,
        curGpuId: typeof m.cur_gpu_id === "number" ? m.cur_gpu_id : j,
      };
    });
    const id = `case_${String(i).padStart(2, "0")}`;
    const split: Split = i % 2 === 0 ? "train" : "test";
    return { id, split, input: { gpuNum: c.gpu_num as number, gpuMemory: GPU_MEMORY_GB, models } };
  });
  cache.set(file, workloads);
  return workloads;
}

/** Even-numbered cases train, odd-numbered cases test. */
export function splitCases(split: Split): Workload<PrismInput>[] {
  return allCases().filter((w) => w.split === split);
}
