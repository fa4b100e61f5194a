import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { RunEvent } from "../core/events.ts";
import { findEvolveBlocks } from "../edit/index.ts";
import { Evaluator } from "../evaluate/index.ts";
import { createEnsemble } from "../llm/index.ts";
import { loadTemplates } from "../prompt/index.ts";
import { ProcessSandbox } from "../sandbox/index.ts";
import { createStrategy } from "../search/index.ts";
import type { Proposer } from "../search/proposer.ts";
import { TunerProposer } from "../search/tuner.ts";
import { openSqliteStore } from "../store/sqlite.ts";
import type { Store } from "../store/store.ts";
import { loadTask } from "../task/load.ts";
import type { Task } from "../task/contract.ts";
import { parseRunConfig, type RunConfig } from "./config.ts";
import { Engine, type RunOutcome } from "./engine.ts";
import { LlmProposer } from "./llm-proposer.ts";
import { isRunDir, lockRun, runFiles, writeResolvedConfig } from "./run-dir.ts";

export interface SessionOptions {
  onEvent?: (event: RunEvent) => void;
  /** Told once, before the run, about choices the user should know of (no models → tuner). */
  onNotice?: (line: string) => void;
  /** Replace the proposer (tests, replay). */
  proposer?: Proposer;
}

/** One process's session of a run: the engine with its store, sandbox and lock. */
export interface Session {
  dir: string;
  config: RunConfig;
  task: Task;
  store: Store;
  engine: Engine;
  run(): Promise<RunOutcome>;
}

/** Starts a new run in `config.out` (which must not hold a run yet). */
export async function startRun(config: RunConfig, options: SessionOptions = {}): Promise<Session> {
  const dir = resolve(config.out ?? "runs/run");
  if (isRunDir(dir)) {
    throw new Error(
      `${dir} already holds a run: resume it with \`adrs resume ${config.out}\`, or choose another --out`,
    );
  }
  const task = await loadTask(config.task);
  try {
    findEvolveBlocks(task.initialCode);
  } catch (e) {
    throw new Error(`${task.initialPath}: ${e instanceof Error ? e.message : String(e)}`);
  }
  mkdirSync(dir, { recursive: true });
  writeResolvedConfig(dir, config);
  return open(dir, config, task, options);
}

/** Opens an existing run directory to continue it, with the config it was started with. */
export async function resumeRun(
  dir: string,
  options: SessionOptions & { budget?: Partial<RunConfig["budget"]> } = {},
): Promise<Session> {
  const full = resolve(dir);
  if (!isRunDir(full)) throw new Error(`${full} is not a run directory (no ${runFiles.database})`);
  const store = await openSqliteStore(join(full, runFiles.database));
  const stored = await store.startConfig();
  await store.close();
  if (!stored) throw new Error(`${full}: the run never started (no run_started event); start a new run`);
  const config = parseRunConfig(stored, join(full, runFiles.database));
  if (options.budget) {
    config.budget = { ...config.budget, ...stripUndefined(options.budget) };
    writeResolvedConfig(full, config);
  }
  const task = await loadTask(config.task);
  return open(full, config, task, options);
}

async function open(dir: string, config: RunConfig, task: Task, options: SessionOptions): Promise<Session> {
  const release = lockRun(dir);
  const store = await openSqliteStore(join(dir, runFiles.database));
  const sandbox = new ProcessSandbox();
  const evaluator = new Evaluator(task, sandbox, config.evaluation);
  const strategy = createStrategy(config.strategy);
  const proposer = options.proposer ?? defaultProposer(config, options);
  const engine = new Engine({ config, task, store, strategy, proposer, evaluator, onEvent: options.onEvent });
  return {
    dir,
    config,
    task,
    store,
    engine,
    async run() {
      try {
        return await engine.run();
      } finally {
        await sandbox.close();
        await store.close();
        release();
      }
    },
  };
}

/** The LLM proposer over the configured models, or the tuner when there are none. */
function defaultProposer(config: RunConfig, options: SessionOptions): Proposer {
  if (config.models.length === 0) {
    options.onNotice?.(
      "No model is configured (models: in the config, or --model): running the LLM-free tuner, which perturbs the numeric constants inside EVOLVE-BLOCKs.",
    );
    return new TunerProposer();
  }
  const ensemble = createEnsemble(config.models);
  return new LlmProposer(ensemble, loadTemplates(config.prompt.templateDir), config.editMode);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
