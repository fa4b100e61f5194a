import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import type { Task } from "../task/contract.ts";

/** Folders of a task that do not change how it scores: its tests and its notes. */
const SKIPPED = new Set(["test", "node_modules"]);

/**
 * The task version hash: the task's declared version and the content of every
 * file of its folder (definition, driver, simulator, workloads, helper
 * modules) and of its data set's checksums, and a judged task's prompt. A worker evaluates a run's jobs
 * only when its own copy of the task has the run's hash, so every evaluation
 * of a run is made by the same trusted code on the same data.
 */
export function taskHash(task: Pick<Task, "id" | "version" | "dir" | "judgePrompt">): string {
  const hash = createHash("sha256").update(`${task.id}@${task.version}\n`);
  const files: string[] = [];
  const visit = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(".") || SKIPPED.has(name)) continue;
      const path = join(dir, name);
      const stat = statSync(path);
      if (stat.isDirectory()) visit(path);
      else if (stat.isFile() && !/\.md$/i.test(name)) files.push(path);
    }
  };
  visit(task.dir);
  const sums = resolve(task.dir, "..", "..", "data", task.id, "SHA256SUMS");
  if (existsSync(sums)) files.push(sums);
  for (const file of files) {
    hash.update(`${relative(task.dir, file).split(sep).join("/")}\n`);
    hash.update(readFileSync(file));
  }
  // A judge's prompt scores like code does, whatever its extension (Markdown is skipped above).
  if (task.judgePrompt !== undefined) hash.update("\0judge prompt\n").update(task.judgePrompt);
  return hash.digest("hex").slice(0, 16);
}
