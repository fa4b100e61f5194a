import { createHash } from "node:crypto";

/** Program and candidate ids: the run-local iteration number, readable and ordered. */
export function candidateId(iteration: number): string {
  return `c${String(iteration).padStart(6, "0")}`;
}

/** Content hash of a program's code, used for dedupe and the evaluation cache. */
export function codeHash(code: string): string {
  return createHash("sha256").update(code).digest("hex").slice(0, 16);
}
