/**
 * Runs inside the sandbox, bundled with the candidate: hands one table to the
 * candidate's `reorder` and passes back its answer. Validation and the hit
 * rate are computed outside, by task.ts, on this output alone.
 */
import { Table } from "./api.ts";
import type { TableInput } from "./table.ts";

export const ENTRY = "reorder";

export function run(candidate: Record<string, unknown>, input: TableInput): unknown {
  const entry = candidate[ENTRY];
  if (typeof entry !== "function") {
    throw new Error(`the program must export a function \`${ENTRY}(table)\` returning { order, fields }`);
  }
  const answer: unknown = entry(new Table(input));
  // Only the answer's arrays leave the sandbox; anything else the program attaches is dropped.
  if (typeof answer === "object" && answer !== null && !Array.isArray(answer)) {
    const { order, fields, parts } = answer as { order?: unknown; fields?: unknown; parts?: unknown };
    return parts === undefined ? { order, fields } : { order, fields, parts };
  }
  return answer;
}
