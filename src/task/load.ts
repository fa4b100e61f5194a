import { existsSync, statSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, extname, isAbsolute, join, resolve } from "node:path";
import { InputError } from "../core/errors.ts";
import type { ExternalTaskDefinition, JudgedTaskDefinition, Task, TaskDefinition } from "./contract.ts";
import { candidateFileName, definitionProblems, ID_PATTERN } from "./definition.ts";
import { importTaskModule } from "./modules.ts";

/** `<repo>/tasks`: this file lives in `<repo>/src/task/`. */
export const TASKS_DIR = resolve(import.meta.dirname, "../../tasks");

export interface LoadOptions {
  /** Where task ids are looked up; default `<repo>/tasks`. */
  tasksDir?: string;
}

type AnyDefinition = TaskDefinition | JudgedTaskDefinition | ExternalTaskDefinition;

/**
 * Loads a task by id (`txn-scheduling`, looked up in `<repo>/tasks/<id>/task.ts`)
 * or by path (a folder holding `task.ts`, or the file itself), validates its
 * definition and reads its spec, initial program and driver location.
 */
export async function loadTask(idOrPath: string, options: LoadOptions = {}): Promise<Task> {
  const file = await locateTaskFile(idOrPath, options.tasksDir ?? TASKS_DIR);
  const def = await importDefinition(file);
  return readTaskFiles(def, file);
}

/** The tasks under `<repo>/tasks` (or `tasksDir`), sorted by id. */
export async function listTasks(options: LoadOptions = {}): Promise<{ id: string; title: string }[]> {
  const ids = await taskFolders(options.tasksDir ?? TASKS_DIR);
  const tasks: { id: string; title: string }[] = [];
  for (const id of ids) {
    const file = join(options.tasksDir ?? TASKS_DIR, id, "task.ts");
    try {
      const def = await importDefinition(file);
      tasks.push({ id: def.id, title: def.title });
    } catch (err) {
      // One broken task must not hide the others from `adrs tasks`.
      tasks.push({ id, title: `(does not load: ${firstLine(err)})` });
    }
  }
  return tasks;
}

function looksLikePath(s: string): boolean {
  return s.includes("/") || s.includes("\\") || s.startsWith(".") || s.endsWith(".ts") || isAbsolute(s);
}

async function locateTaskFile(idOrPath: string, tasksDir: string): Promise<string> {
  if (!looksLikePath(idOrPath)) {
    const file = join(tasksDir, idOrPath, "task.ts");
    if (ID_PATTERN.test(idOrPath) && existsSync(file)) return file;
    const known = await taskFolders(tasksDir);
    const list = known.length > 0 ? known.join(", ") : `none (no task folders in ${tasksDir})`;
    throw new InputError(`Unknown task "${idOrPath}". Available tasks: ${list}`);
  }
  const path = resolve(idOrPath);
  if (!existsSync(path)) {
    throw new InputError(
      `Task path not found: ${path} (a task is an id that \`adrs tasks\` lists, or a folder holding task.ts)`,
    );
  }
  if (statSync(path).isDirectory()) {
    const file = join(path, "task.ts");
    if (!existsSync(file)) throw new InputError(`No task.ts in ${path}: a task folder must contain task.ts`);
    return file;
  }
  return path;
}

async function taskFolders(tasksDir: string): Promise<string[]> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(tasksDir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory() && existsSync(join(tasksDir, e.name, "task.ts")))
    .map((e) => e.name)
    .sort();
}

async function importDefinition(file: string): Promise<AnyDefinition> {
  let mod: { default?: unknown };
  try {
    mod = (await importTaskModule(file)) as { default?: unknown };
  } catch (err) {
    throw new InputError(`${file}: the task module failed to load: ${firstLine(err)}`);
  }
  if (mod.default === undefined) {
    throw new InputError(`${file}: no default export; write \`export default defineTask({ ... })\``);
  }
  const problems = definitionProblems(mod.default, file);
  if (problems.length > 0) {
    throw new InputError(`${file}: invalid task definition:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  return mod.default as AnyDefinition;
}

async function readTaskFiles(def: AnyDefinition, file: string): Promise<Task> {
  const dir = resolve(dirname(file), def.dir);
  const external = def.external;
  const initialDefault = external ? `initial${extname(candidateFileName(external))}` : "initial.ts";
  const paths = {
    spec: join(dir, def.files?.spec ?? "spec.md"),
    initial: join(dir, def.files?.initial ?? initialDefault),
    driver: external ? "" : join(dir, def.files?.driver ?? "driver.ts"),
  };
  /** A text file the definition names, or an error naming the field that names it. */
  const read = async (field: string, path: string) => {
    try {
      return await readFile(path, "utf8");
    } catch {
      throw new InputError(`${file}: field "${field}": cannot read ${path}`);
    }
  };
  const spec = await read("files.spec", paths.spec);
  const initialCode = await read("files.initial", paths.initial);
  if (!external && !existsSync(paths.driver)) {
    throw new InputError(`${file}: field "files.driver": no driver at ${paths.driver}`);
  }
  // Bound, not spread: a definition may be a class instance whose methods use `this`.
  const task: Task = {
    id: def.id,
    title: def.title,
    version: def.version,
    dir,
    metric: def.metric,
    anchors: def.anchors,
    workloads: def.workloads.bind(def),
    aggregate: def.aggregate.bind(def),
    spec,
    initialCode,
    driverPath: paths.driver,
    initialPath: paths.initial,
  };
  if (def.external === undefined) task.check = def.check.bind(def);
  if (external) task.external = external;
  if (def.stages) task.stages = def.stages;
  if (def.files) task.files = def.files;
  if (def.limits) task.limits = def.limits;
  if (def.noisy) task.noisy = def.noisy;
  if (def.feedback) task.feedback = def.feedback.bind(def);
  if (def.stress) task.stress = def.stress.bind(def);
  if (def.models) {
    task.models = def.models;
    const prompt = def.models.judge?.prompt;
    if (prompt !== undefined) task.judgePrompt = await read("models.judge.prompt", join(dir, prompt));
  }
  return task;
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0] ?? text;
}
