import { existsSync, readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { z } from "zod";
import { parseDuration } from "../core/duration.ts";
import { InputError } from "../core/errors.ts";
import { strategyConfig } from "../search/config.ts";

const duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const seconds = parseDuration(v);
  if (seconds === null) {
    ctx.addIssue({ code: "custom", message: 'expected seconds or a duration like "30m" or "2h"' });
    return z.NEVER;
  }
  return seconds;
});

const price = z.strictObject({
  inputPerMTok: z.number().nonnegative(),
  outputPerMTok: z.number().nonnegative(),
  cachedInputPerMTok: z.number().nonnegative().optional(),
});

/**
 * What a model may be asked to do. Every call of a role goes through the run's
 * one ledger and budget and is recorded under its role (docs/models.md).
 */
export const MODEL_ROLES = ["mutation", "repair", "meta", "novelty", "paradigm", "judge", "task"] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];

const model = z.strictObject({
  /** The roles this model serves; none listed: mutation and repair. */
  roles: z.array(z.enum(MODEL_ROLES)).min(1).optional(),
  model: z.string().regex(/^[a-z][a-z0-9-]*:.+$/, 'expected "provider:name", e.g. "openai:gpt-5-mini"'),
  weight: z.number().positive().default(1),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().positive().optional(),
  baseUrl: z.string().url().optional(),
  /** The environment variable holding the key, when not the provider's usual one. */
  apiKeyEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected the name of an environment variable")
    .optional(),
  price: price.optional(),
  stream: z.boolean().optional(),
  timeoutMs: z.number().int().positive().optional(),
  maxRetries: z.number().int().min(0).optional(),
});

const ensemble = z.strictObject({
  policy: z.enum(["weighted", "bandit"]).default("weighted"),
  exploration: z.number().min(0).default(1),
  floor: z.number().min(0).max(1).default(0.1),
  restAfterFailures: z.number().int().min(0).default(3),
  restIterations: z.number().int().min(1).default(10),
});

const budget = z.strictObject({
  iterations: z.number().int().positive().default(100),
  usd: z.number().positive().optional(),
  timeLimit: duration.optional(),
  targetScore: z.number().min(0).max(100).optional(),
  patience: z.number().int().positive().optional(),
  /** Proposals in a row lost to model errors (every call failed) before the run stops with models_failing. */
  modelFailures: z.number().int().positive().default(10),
});

export const runConfigSchema = z
  .strictObject({
    task: z.string().min(1),
    models: z.array(model).default([]),
    ensemble: ensemble.default(ensemble.parse({})),
    strategy: strategyConfig.prefault({}),
    editMode: z.enum(["diff", "full"]).default("diff"),
    concurrency: z
      .strictObject({
        proposals: z.number().int().min(1).default(2),
        evaluations: z.number().int().min(1).default(2),
        /**
         * Select iteration k only once every iteration up to k − proposals has
         * settled (head-of-line blocking, slower): with one proposal, a run is
         * then a function of its seed and its model's replies, even without
         * its recording.
         */
        ordered: z.boolean().default(false),
      })
      .default({ proposals: 2, evaluations: 2, ordered: false }),
    budget: budget.default(budget.parse({})),
    seed: z.number().int().default(42),
    out: z.string().min(1).optional(),
    /** Where the run's events live: a PostgreSQL URL (many machines); left out, SQLite in the run folder. */
    store: z
      .string()
      .regex(
        /^postgres(ql)?:\/\/.+/,
        "expected a PostgreSQL URL (postgres://user@host:5432/database); leave it out for SQLite in the run folder",
      )
      .optional(),
    /** Where evaluations run: this process's sandboxes, or `adrs worker` processes taking jobs from the store. */
    queue: z.enum(["in-process", "workers"]).default("in-process"),
    prompt: z
      .strictObject({
        templateDir: z.string().optional(),
        /**
         * Failed attempts a prompt shows: `lineage`, those on the parent and its
         * nearest ancestors, children worse than their parent included
         * (negative memory); `parent`, only the parent's rejected, screened and
         * failed children (runs stored before negative memory).
         */
        memory: z.enum(["lineage", "parent"]).default("lineage"),
      })
      .default({ memory: "lineage" }),
    audit: z
      .strictObject({
        /** Warn when the best program's train score exceeds its test score by more than this many points. */
        driftAlarm: z.number().min(0).max(100).default(10),
        /** Audit every would-be new best against the seed; one with a weakness is not kept (docs/audit.md). */
        onNewBest: z.boolean().default(false),
      })
      .default({ driftAlarm: 10, onNewBest: false }),
    evaluation: z
      .strictObject({
        timeoutMs: z.number().int().positive().optional(),
        memoryMb: z.number().int().min(32).optional(),
        cpuMs: z.number().int().positive().optional(),
        cascade: z.boolean().optional(),
        /**
         * A task with noisy metrics (its `noisy` list): the seed is evaluated
         * this many more times at the start (the noise floor), and a candidate
         * that would become the best as many times, interleaved with the
         * incumbent best. 0: each program is evaluated once, noisy or not.
         */
        repeats: z.number().int().min(0).max(100).default(5),
        /**
         * Each candidate's train evaluation is bounded at `multiple` × the
         * seed's evaluation time, at least `floorMs`, at most the task's limit
         * (or timeoutMs); false: every candidate gets the task's limit.
         */
        adaptiveTimeout: z
          .union([
            z.literal(false),
            z.strictObject({
              multiple: z.number().min(1).default(10),
              floorMs: z.number().int().positive().default(2000),
            }),
          ])
          .default({ multiple: 10, floorMs: 2000 }),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.models.length > 0 && !c.models.some((m) => !m.roles || m.roles.includes("mutation"))) {
      ctx.addIssue({
        code: "custom",
        path: ["models"],
        message:
          'no model serves the role "mutation": give one model no roles, or list "mutation" in its roles',
      });
    }
    c.models.forEach((m, i) => {
      if (m.model.startsWith("anthropic:") && m.temperature !== undefined && m.temperature > 1) {
        ctx.addIssue({
          code: "custom",
          path: ["models", i, "temperature"],
          message: "Anthropic models take a temperature from 0 to 1",
        });
      }
    });
  });

export type RunConfig = z.infer<typeof runConfigSchema>;
export type ModelConfig = RunConfig["models"][number];
export type EnsembleConfig = RunConfig["ensemble"];
export type StrategyConfig = RunConfig["strategy"];

/**
 * A run's stored config (run_started) as this version reads it: a run stored
 * before a key existed keeps the behaviour it ran with.
 */
export function upgradeStoredConfig(stored: unknown): unknown {
  if (stored === null || typeof stored !== "object" || Array.isArray(stored)) return stored;
  const raw = stored as Record<string, unknown>;
  const prompt = (raw.prompt ?? {}) as Record<string, unknown>;
  const evaluation = (raw.evaluation ?? {}) as Record<string, unknown>;
  return {
    ...raw,
    // Negative memory of the lineage came later: older runs showed the parent's failures only.
    ...(prompt.memory === undefined ? { prompt: { ...prompt, memory: "parent" } } : {}),
    // Re-evaluations of noisy tasks came later: older runs ranked every program on one evaluation.
    ...(evaluation.repeats === undefined ? { evaluation: { ...evaluation, repeats: 0 } } : {}),
  };
}

/** A config error that names the file and the key path. */
export class ConfigError extends InputError {
  override name = "ConfigError";
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type") return `expected ${article(issue.expected)}`;
  // A `kind` that names no strategy: list the kinds there are.
  if (issue.code === "invalid_union" && "options" in issue && Array.isArray(issue.options))
    return `expected one of ${issue.options.join(", ")}`;
  if (issue.code === "unrecognized_keys")
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  return issue.message.replace(/^Invalid input: /, "");
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

/**
 * Validates a raw config object; `source` names where it came from in errors,
 * and `flagOf` the command-line flag that set a key, when one did.
 */
export function parseRunConfig(
  raw: unknown,
  source: string,
  flagOf: (path: string) => string | undefined = () => undefined,
): RunConfig {
  const result = runConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.join(".");
    const flag = flagOf(path);
    if (flag) return `${flag}: ${describe(issue)}`;
    return `${source}: ${path ? `${path}: ` : ""}${describe(issue)}`;
  });
  throw new ConfigError(lines.join("\n"));
}

/** Reads a YAML run file into a plain object (not yet validated). Errors name the file and line. */
export function readConfigFile(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new ConfigError(`${file}: no such config file`);
  const doc = parseDocument(readFileSync(file, "utf8"));
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0];
    throw new ConfigError(`${file}${line ? `:${line.line}:${line.col}` : ""}: ${e.message.split("\n")[0]}`);
  }
  const value = doc.toJS() ?? {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ConfigError(`${file}: expected a mapping of keys (task, models, strategy, …)`);
  }
  return value as Record<string, unknown>;
}

/** Overrides from CLI flags; a flag wins over the file. */
export interface ConfigOverrides {
  task?: string;
  models?: string[];
  baseUrl?: string;
  iterations?: number;
  budgetUsd?: number;
  timeLimit?: string | number;
  targetScore?: number;
  patience?: number;
  out?: string;
  seed?: number;
  editMode?: string;
  proposals?: number;
  evaluations?: number;
  ordered?: boolean;
  /** A strategy kind: the file's options are kept when it names the same kind, else the kind's defaults. */
  strategy?: string;
  store?: string;
  queue?: string;
  repeats?: number;
}

/** Merges a config file (optional) with flag overrides and validates the result. */
export function resolveRunConfig(file: string | undefined, flags: ConfigOverrides): RunConfig {
  const raw: Record<string, unknown> = file ? readConfigFile(file) : {};
  const obj = (key: string): Record<string, unknown> => {
    const v = raw[key];
    const o = v && typeof v === "object" && !Array.isArray(v) ? { ...(v as Record<string, unknown>) } : {};
    raw[key] = o;
    return o;
  };
  if (flags.task) raw.task = flags.task;
  if (flags.models?.length) raw.models = flags.models.map((m) => ({ model: m }));
  if (flags.baseUrl) {
    const models = Array.isArray(raw.models) ? (raw.models as Record<string, unknown>[]) : [];
    raw.models = models.map((m) => ({ ...m, baseUrl: flags.baseUrl }));
  }
  if (flags.iterations !== undefined) obj("budget").iterations = flags.iterations;
  if (flags.budgetUsd !== undefined) obj("budget").usd = flags.budgetUsd;
  if (flags.timeLimit !== undefined) obj("budget").timeLimit = flags.timeLimit;
  if (flags.targetScore !== undefined) obj("budget").targetScore = flags.targetScore;
  if (flags.patience !== undefined) obj("budget").patience = flags.patience;
  if (flags.proposals !== undefined) obj("concurrency").proposals = flags.proposals;
  if (flags.evaluations !== undefined) obj("concurrency").evaluations = flags.evaluations;
  if (flags.ordered !== undefined) obj("concurrency").ordered = flags.ordered;
  if (flags.out) raw.out = flags.out;
  if (flags.seed !== undefined) raw.seed = flags.seed;
  if (flags.editMode) raw.editMode = flags.editMode;
  if (flags.strategy !== undefined) {
    const section = obj("strategy");
    if ((section.kind ?? "islands") !== flags.strategy) raw.strategy = { kind: flags.strategy };
    else section.kind = flags.strategy;
  }
  if (flags.store) raw.store = flags.store;
  if (flags.queue) raw.queue = flags.queue;
  if (flags.repeats !== undefined) obj("evaluation").repeats = flags.repeats;
  const flagOf = (path: string) =>
    FLAGS.find(([key, keys]) => flags[key] !== undefined && keys.test(path))?.[2];
  return parseRunConfig(raw, file ?? "command line", flagOf);
}

/** Each flag, the config key paths it sets, and its name on the command line (for errors). */
const FLAGS: [keyof ConfigOverrides, RegExp, string][] = [
  ["models", /^models\.\d+\.model$/, "--model"],
  ["baseUrl", /^models\.\d+\.baseUrl$/, "--base-url"],
  ["iterations", /^budget\.iterations$/, "--iterations"],
  ["budgetUsd", /^budget\.usd$/, "--budget-usd"],
  ["timeLimit", /^budget\.timeLimit$/, "--time-limit"],
  ["targetScore", /^budget\.targetScore$/, "--target-score"],
  ["patience", /^budget\.patience$/, "--patience"],
  ["proposals", /^concurrency\.proposals$/, "--proposals"],
  ["evaluations", /^concurrency\.evaluations$/, "--evaluations"],
  ["ordered", /^concurrency\.ordered$/, "--ordered"],
  ["out", /^out$/, "--out"],
  ["seed", /^seed$/, "--seed"],
  ["editMode", /^editMode$/, "--edit-mode"],
  ["strategy", /^strategy(\.kind)?$/, "--strategy"],
  ["store", /^store$/, "--store"],
  ["queue", /^queue$/, "--queue"],
  ["repeats", /^evaluation\.repeats$/, "--repeats"],
];
