/**
 * The shape of a task definition (the default export of task.ts) as one zod
 * schema. Every problem is reported at once, each naming its field, so a task
 * author fixes them in one round: `field "metric.direction" must be "minimize"
 * or "maximize" (got "max")`.
 */
import { existsSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { z } from "zod";
import { InputError } from "../core/errors.ts";
import type { ExternalEvaluator } from "./contract.ts";

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

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
export function candidateFileName(external: Pick<ExternalEvaluator, "candidateFile" | "language">): string {
  if (external.candidateFile) return external.candidateFile;
  const ext = EXTENSIONS[external.language.toLowerCase()];
  if (!ext)
    throw new InputError(`no file extension known for language "${external.language}": set candidateFile`);
  return `program.${ext}`;
}

/**
 * An issue's message is what the field must be ("a finite number"), shown as
 * `field "x" must be <message> (got <value>)`, unless its params say otherwise:
 * `sentence`, the message goes on from the field's name; `reason`, it follows a colon.
 */
const SENTENCE = { form: "sentence" } as const;
const REASON = { form: "reason" } as const;

/** What a field must be: the message of every issue its schema raises. */
const must = (what: string) => ({ error: what });

const text = (what = "a non-empty string") => z.string(must(what)).refine((s) => s.trim() !== "", must(what));
const finite = z.number(must("a finite number"));
const positive = z.number(must("a positive number")).positive(must("a positive number")).optional();
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === "function", must("a function"));

const nonEmptyStrings = (v: unknown) =>
  Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === "string" && a !== "");

const external = z.object(
  {
    command: z.custom<string | string[]>(
      (v) => (typeof v === "string" && v.trim() !== "") || nonEmptyStrings(v),
      must("a command string or a non-empty list of arguments"),
    ),
    language: text('a language such as "python"'),
    candidateFile: text("a file name")
      .refine((f) => basename(f) === f, must("a file name"))
      .optional(),
  },
  must("{ command, language, candidateFile? }"),
);

const stage = z.object(
  {
    name: text(),
    workloads: z.custom<unknown>(
      (w) => typeof w === "function" || nonEmptyStrings(w),
      must("a non-empty list of workload ids or a filter function"),
    ),
    threshold: z
      .number(must("a score from 0 to 100"))
      .min(0, must("a score from 0 to 100"))
      .max(100, must("a score from 0 to 100")),
  },
  must("{ name, workloads, threshold }"),
);

const stages = z.array(stage, must("a list of { name, workloads, threshold }")).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((s, i) => {
    if (seen.has(s.name)) {
      ctx.addIssue({
        code: "custom",
        path: [i, "name"],
        message: `"${s.name}" appears twice`,
        params: REASON,
      });
    }
    seen.add(s.name);
  });
});

/** The schema of the definition in `file` (its folder names the id; `dir` is resolved from it). */
function definitionSchema(file: string, isExternal: boolean) {
  const folder = basename(dirname(file));
  return z.object({
    id: z
      .string(must('a folder-name id such as "txn-scheduling"'))
      .regex(ID_PATTERN, must('a folder-name id such as "txn-scheduling"'))
      .refine((id) => id === folder, {
        error: (issue) =>
          `is "${issue.input}" but the task folder is "${folder}": the id must be the folder name`,
        params: SENTENCE,
      }),
    title: text(),
    version: text(),
    dir: text("the task folder (use import.meta.dirname)").refine(
      (dir) => existsSync(resolve(dirname(file), dir)),
      { error: (issue) => `names a folder that does not exist: ${issue.input}`, params: SENTENCE },
    ),
    metric: z.object(
      {
        name: text(),
        direction: z.enum(["minimize", "maximize"], must('"minimize" or "maximize"')),
        unit: z.string(must("a string")).optional(),
      },
      must("{ name, direction }"),
    ),
    noisy: z
      .array(text("a metric name"), must("a list of metric names"))
      .min(1, must("a non-empty list of metric names (omit it for a deterministic task)"))
      .optional(),
    anchors: z
      .object({ baseline: finite, target: finite }, must("{ baseline, target }"))
      .refine((a) => a.baseline !== a.target, {
        message: "must differ from anchors.baseline (both are the same number)",
        path: ["target"],
        params: SENTENCE,
      }),
    limits: z
      .object(
        { timeoutMs: positive, memoryMb: positive, cpuMs: positive },
        must("{ timeoutMs?, memoryMb?, cpuMs? }"),
      )
      .optional(),
    files: z
      .object(
        {
          spec: text("a file name in the task folder").optional(),
          initial: text("a file name in the task folder").optional(),
          driver: text("a file name in the task folder").optional(),
        },
        must("{ spec?, initial?, driver? }"),
      )
      .optional(),
    external: external.optional(),
    workloads: fn,
    // An external task's evaluator checks outputs itself.
    check: isExternal ? fn.optional() : fn,
    aggregate: fn,
    stages: stages.optional(),
    feedback: fn.optional(),
    stress: fn.optional(),
    models: z
      .object(
        {
          candidate: z
            .object({ maxCalls: count, maxTokens: count }, must("{ maxCalls, maxTokens }"))
            .optional(),
          judge: z.object({ prompt: text("a file name in the task folder") }, must("{ prompt }")).optional(),
        },
        must("{ candidate?, judge? }"),
      )
      .refine(
        (m) => m.candidate !== undefined || m.judge !== undefined,
        must("{ candidate?, judge? } with at least one of them"),
      )
      .optional(),
  });
}

const count = z
  .number(must("a positive integer"))
  .int(must("a positive integer"))
  .positive(must("a positive integer"));

/** How a value is shown after "got": short, and never the whole of a long string. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "undefined") return "nothing (missing)";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function at(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const key of path)
    v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

function fieldName(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

/** Every problem of a task definition at once (empty when it is valid), each naming its field. */
export function definitionProblems(value: unknown, file: string): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return [`the default export is ${describe(value)}, not an object`];
  const isExternal = (value as { external?: unknown }).external !== undefined;
  const result = definitionSchema(file, isExternal).safeParse(value);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => {
        const field = fieldName(issue.path);
        const form = (issue as { params?: { form?: string } }).params?.form;
        if (form === SENTENCE.form) return `field "${field}" ${issue.message}`;
        if (form === REASON.form) return `field "${field}": ${issue.message}`;
        return `field "${field}" must be ${issue.message} (got ${describe(at(value, issue.path))})`;
      });
  // Outside the schema: zod skips an object's refinements once one of its fields failed.
  const external = (value as { external?: { language?: unknown; candidateFile?: unknown } }).external;
  if (external !== undefined && (value as { models?: unknown }).models !== undefined)
    problems.push(
      'field "models": an external task cannot declare models (its evaluator runs the candidate itself, with no bridge to the run\'s models)',
    );
  if (typeof external?.language === "string" && external.language.trim() !== "" && !external.candidateFile) {
    try {
      candidateFileName({ language: external.language });
    } catch (err) {
      problems.push(`field "external.candidateFile": ${(err as Error).message}`);
    }
  }
  return problems;
}
