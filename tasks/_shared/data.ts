/** Where workload data lives: `$ADRS_DATA_DIR`, else `../shared/data` beside the repository. */
import { resolve } from "node:path";

export const DATA_DIR_VARIABLE = "ADRS_DATA_DIR";

export function dataRoot(): string {
  const fromEnv = process.env[DATA_DIR_VARIABLE];
  if (fromEnv) return resolve(fromEnv);
  // This file is <repo>/tasks/_shared/data.ts.
  return resolve(import.meta.dirname, "..", "..", "..", "shared", "data");
}
