import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Evaluation } from "../core/types.ts";
import type { EvaluationWithArtifacts, Scored } from "./result.ts";
import { looksLikeEvaluation } from "./validate.ts";

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
    try {
      await writeFile(tmp, JSON.stringify({ key, evaluation }));
      await rename(tmp, file);
    } catch (e) {
      // A full disk leaves no half-written temporary file behind.
      await rm(tmp, { force: true });
      throw e;
    }
  }

  private file(key: string): string {
    return join(this.dir, `${createHash("sha256").update(key).digest("hex").slice(0, 40)}.json`);
  }
}

/**
 * Evaluations by cache key: an in-memory LRU of (pending) evaluations in front
 * of an optional persistent cache. Concurrent requests for one key share one
 * run; an outcome that is not a fact about the code is served to those waiting
 * for it and then forgotten, and so is a run that rejects.
 */
export class EvaluationMemo {
  /** Hits (in memory or persistent) and misses since construction. */
  readonly stats = { hits: 0, misses: 0 };
  private readonly memory = new Map<string, Promise<Scored>>();

  constructor(
    /** Evaluations kept in memory (least recently used dropped first); 0 keeps none. */
    private readonly size: number,
    private readonly persistent: EvaluationCache | undefined,
  ) {}

  async get(key: string, run: () => Promise<Scored>): Promise<EvaluationWithArtifacts> {
    if (this.size <= 0 && !this.persistent) return (await run()).evaluation;
    const hit = this.memory.get(key);
    if (hit) {
      this.stats.hits++;
      // Refresh its place in the LRU order.
      this.memory.delete(key);
      this.memory.set(key, hit);
      return structuredClone((await hit).evaluation);
    }
    const pending = this.lookup(key, run);
    if (this.size > 0) {
      this.memory.set(key, pending);
      while (this.memory.size > this.size) {
        const oldest = this.memory.keys().next().value;
        if (oldest === undefined) break;
        this.memory.delete(oldest);
      }
    }
    let scored: Scored;
    try {
      scored = await pending;
    } catch (err) {
      this.memory.delete(key);
      throw err;
    }
    if (!scored.cacheable && this.memory.get(key) === pending) this.memory.delete(key);
    return structuredClone(scored.evaluation);
  }

  /** The persistent cache, then a fresh run (stored there when it is a fact about the code). */
  private async lookup(key: string, run: () => Promise<Scored>): Promise<Scored> {
    if (this.persistent) {
      let stored: Evaluation | undefined;
      try {
        stored = await this.persistent.get(key);
      } catch {
        stored = undefined;
      }
      if (stored !== undefined && looksLikeEvaluation(stored)) {
        this.stats.hits++;
        return { evaluation: stored, cacheable: true };
      }
    }
    this.stats.misses++;
    const scored = await run();
    if (scored.cacheable && this.persistent) {
      try {
        await this.persistent.set(key, structuredClone(scored.evaluation));
      } catch {
        // A cache that cannot store costs a re-run later, nothing else.
      }
    }
    return scored;
  }
}
