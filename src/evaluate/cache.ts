import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Evaluation } from "../core/types.ts";

/**
 * A cache of evaluations that outlives the process, behind the Evaluator's
 * in-memory one. Keys come from `Evaluator.cacheKey` (task, version, split,
 * memory limit, content hash of the code); only evaluations that are facts
 * about the code are stored (never timeouts or task bugs). Errors of the
 * backend cost a re-run, nothing else.
 */
export interface EvaluationCache {
  get(key: string): Evaluation | undefined | Promise<Evaluation | undefined>;
  set(key: string, evaluation: Evaluation): void | Promise<void>;
}

/** One JSON file per evaluation under `dir` (e.g. `<run dir>/evaluations`). */
export class FileEvaluationCache implements EvaluationCache {
  private made = false;

  constructor(readonly dir: string) {}

  async get(key: string): Promise<Evaluation | undefined> {
    let text: string;
    try {
      text = await readFile(this.file(key), "utf8");
    } catch {
      return undefined;
    }
    try {
      const entry = JSON.parse(text) as { key?: unknown; evaluation?: Evaluation };
      // The file name is a hash: the key inside rules out a collision or a stray file.
      return entry.key === key ? entry.evaluation : undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, evaluation: Evaluation): Promise<void> {
    if (!this.made) {
      await mkdir(this.dir, { recursive: true });
      this.made = true;
    }
    const file = this.file(key);
    // Write then rename: a reader never sees half a file, even if this process dies.
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ key, evaluation }));
    await rename(tmp, file);
  }

  private file(key: string): string {
    return join(this.dir, `${createHash("sha256").update(key).digest("hex").slice(0, 40)}.json`);
  }
}
