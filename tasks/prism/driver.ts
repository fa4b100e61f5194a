/**
 * Runs inside the sandbox, bundled with the candidate: hands one case to the
 * candidate's `computeModelPlacement` and passes back, per GPU, the indices of
 * the models it placed there. Scoring is done outside, by task.ts.
 */
import type { Model } from "./api.ts";
import type { PrismInput } from "./workloads.ts";

export const ENTRY = "computeModelPlacement";

function isList(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

function kind(v: unknown): string {
  if (v === null) return "null";
  return typeof v === "object" ? "an object" : typeof v;
}

export function run(candidate: Record<string, unknown>, input: PrismInput): unknown {
  const entry = candidate[ENTRY];
  if (typeof entry !== "function") {
    throw new Error(`the program must export a function \`${ENTRY}(gpuNum, models)\` returning Model[][]`);
  }
  const models: Model[] = input.models.map((m) => ({ ...m }));
  const index = new Map<unknown, number>(models.map((m, i) => [m, i]));
  const result: unknown = entry(input.gpuNum, models);
  if (!isList(result)) {
    throw new TypeError(`${ENTRY} must return an array with one list of models per GPU, got ${kind(result)}`);
  }
  const gpus: number[][] = [];
  for (let g = 0; g < result.length; g++) {
    const list = result[g];
    if (!isList(list)) throw new TypeError(`${ENTRY}: GPU ${g} must be a list of models, got ${kind(list)}`);
    const ids: number[] = [];
    // An object that is not one of the models handed out is marked −1 for the trusted check.
    for (let j = 0; j < list.length; j++) ids.push(index.get(list[j]) ?? -1);
    gpus.push(ids);
  }
  return { gpus };
}
