import { existsSync, statSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { basename, dirname, extname, isAbsolute, join, resolve } from "node:path";
import type { ExternalEvaluator, ExternalTaskDefinition, Task, TaskDefinition } from "./contract.ts";
import { importTaskModule } from "./modules.ts";
import { InputError } from "../core/errors.ts";

/** `<repo>/tasks`: this file lives in `<repo>/src/task/`. */
export const TASKS_DIR = resolve(import.meta.dirname, "../../tasks");

export interface LoadOptions {
  /** Where task ids are looked up; default `<repo>/tasks`. */
  tasksDir?: string;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** File extensions of the languages an external task may name without `candidateFile`. */
const EXTENSIONS: Record<string, string> = {
  python: "py",
  javascript: "js",
  typescript: "ts",
  c: "c",
  cpp: "cpp",
  "c++": "cpp",
  rust: "rs",
  go: "go",
  java: "java",
  julia: "jl",
  ruby: "rb",
  lua: "lua",
  shell: "sh",
  bash: "sh",
};

/** The candidate's file name for an external task: `candidateFile`, else `program.<ext>`. */
export function candidateFileName(external: ExternalEvaluator): string {
  if (external.candidateFile) return external.candidateFile;
  const ext = EXTENSIONS[external.language.toLowerCase()];
  if (!ext)
    throw new InputError(`no file extension known for language "${external.language}": set candidateFile`);
  return `program.${ext}`;
}

type AnyDefinition = TaskDefinition | ExternalTaskDefinition;

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

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeof value === "undefined" ? "nothing (missing)" : `a ${typeof value}`;
}

/** Every problem at once, so a task author fixes them in one round. */
function definitionProblems(value: unknown, file: string): string[] {
  if (typeof value !== "object" || value === null)
    return [`the default export is ${describe(value)}, not an object`];
  const def = value as Record<string, unknown>;
  const problems: string[] = [];
  const need = (field: string, ok: boolean, expected: string, got: unknown) => {
    if (!ok) problems.push(`field "${field}" must be ${expected} (got ${describe(got)})`);
  };
  const str = (v: unknown) => typeof v === "string" && v.trim() !== "";
  const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  const positive = (v: unknown) => v === undefined || (num(v) && (v as number) > 0);
  const obj = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);

  need(
    "id",
    str(def.id) && ID_PATTERN.test(def.id as string),
    'a folder-name id such as "txn-scheduling"',
    def.id,
  );
  const folder = basename(dirname(file));
  if (str(def.id) && def.id !== folder) {
    problems.push(
      `field "id" is "${def.id}" but the task folder is "${folder}": the id must be the folder name`,
    );
  }
  need("title", str(def.title), "a non-empty string", def.title);
  need("version", str(def.version), "a non-empty string", def.version);
  need("dir", str(def.dir), "the task folder (use import.meta.dirname)", def.dir);
  if (str(def.dir) && !existsSync(resolve(dirname(file), def.dir as string))) {
    problems.push(`field "dir" names a folder that does not exist: ${def.dir}`);
  }
  if (obj(def.metric)) {
    need("metric.name", str(def.metric.name), "a non-empty string", def.metric.name);
    const dir = def.metric.direction;
    need("metric.direction", dir === "minimize" || dir === "maximize", '"minimize" or "maximize"', dir);
    if (def.metric.unit !== undefined)
      need("metric.unit", typeof def.metric.unit === "string", "a string", def.metric.unit);
  } else {
    need("metric", false, "{ name, direction }", def.metric);
  }
  if (obj(def.anchors)) {
    need("anchors.baseline", num(def.anchors.baseline), "a finite number", def.anchors.baseline);
    need("anchors.target", num(def.anchors.target), "a finite number", def.anchors.target);
    if (num(def.anchors.baseline) && def.anchors.baseline === def.anchors.target) {
      problems.push(`fields "anchors.baseline" and "anchors.target" must differ`);
    }
  } else {
    need("anchors", false, "{ baseline, target }", def.anchors);
  }
  if (def.limits !== undefined) {
    if (obj(def.limits)) {
      need("limits.timeoutMs", positive(def.limits.timeoutMs), "a positive number", def.limits.timeoutMs);
      need("limits.memoryMb", positive(def.limits.memoryMb), "a positive number", def.limits.memoryMb);
      need("limits.cpuMs", positive(def.limits.cpuMs), "a positive number", def.limits.cpuMs);
    } else {
      need("limits", false, "{ timeoutMs?, memoryMb?, cpuMs? }", def.limits);
    }
  }
  if (def.files !== undefined) {
    if (obj(def.files)) {
      for (const key of ["spec", "initial", "driver"]) {
        const v = def.files[key];
        if (v !== undefined) need(`files.${key}`, str(v), "a file name in the task folder", v);
      }
    } else {
      need("files", false, "{ spec?, initial?, driver? }", def.files);
    }
  }
  const external = def.external;
  if (external !== undefined) {
    if (obj(external)) {
      const cmd = external.command;
      const okCommand =
        (typeof cmd === "string" && cmd.trim() !== "") ||
        (Array.isArray(cmd) && cmd.length > 0 && cmd.every((a) => typeof a === "string" && a !== ""));
      need("external.command", okCommand, "a command string or a non-empty list of arguments", cmd);
      need("external.language", str(external.language), 'a language such as "python"', external.language);
      const file = external.candidateFile;
      if (file !== undefined)
        need("external.candidateFile", str(file) && basename(file as string) === file, "a file name", file);
      else if (str(external.language)) {
        try {
          candidateFileName(external as unknown as ExternalEvaluator);
        } catch (err) {
          problems.push(`field "external.candidateFile": ${(err as Error).message}`);
        }
      }
    } else {
      need("external", false, "{ command, language, candidateFile? }", external);
    }
  }
  for (const fn of external === undefined
    ? ["workloads", "check", "aggregate"]
    : ["workloads", "aggregate"]) {
    need(fn, typeof def[fn] === "function", "a function", def[fn]);
  }
  if (def.stages !== undefined) {
    if (Array.isArray(def.stages)) {
      const names = new Set<string>();
      def.stages.forEach((stage: unknown, i: number) => {
        const at = `stages[${i}]`;
        if (!obj(stage)) {
          need(at, false, "{ name, workloads, threshold }", stage);
          return;
        }
        need(`${at}.name`, str(stage.name), "a non-empty string", stage.name);
        if (str(stage.name)) {
          if (names.has(stage.name as string))
            problems.push(`field "${at}.name": "${stage.name}" appears twice`);
          names.add(stage.name as string);
        }
        const w = stage.workloads;
        const okWorkloads =
          typeof w === "function" ||
          (Array.isArray(w) && w.length > 0 && w.every((id) => typeof id === "string" && id !== ""));
        need(`${at}.workloads`, okWorkloads, "a non-empty list of workload ids or a filter function", w);
        const t = stage.threshold;
        need(
          `${at}.threshold`,
          num(t) && (t as number) >= 0 && (t as number) <= 100,
          "a score from 0 to 100",
          t,
        );
      });
    } else {
      need("stages", false, "a list of { name, workloads, threshold }", def.stages);
    }
  }
  if (def.feedback !== undefined)
    need("feedback", typeof def.feedback === "function", "a function", def.feedback);
  return problems;
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
  const read = async (field: "spec" | "initial") => {
    try {
      return await readFile(paths[field], "utf8");
    } catch {
      throw new InputError(`${file}: field "files.${field}": cannot read ${paths[field]}`);
    }
  };
  const spec = await read("spec");
  const initialCode = await read("initial");
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
  if (def.feedback) task.feedback = def.feedback.bind(def);
  return task;
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0] ?? text;
}
