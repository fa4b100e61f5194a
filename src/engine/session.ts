import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { InputError } from "../core/errors.ts";
import type { RunEvent } from "../core/events.ts";
import { findEvolveBlocks } from "../edit/index.ts";
import { AuditGate } from "../audit/gate.ts";
import { ProcessSandbox } from "../sandbox/index.ts";
import { createStrategy } from "../search/index.ts";
import type { Proposer } from "../search/proposer.ts";
import { TunerProposer } from "../search/tuner.ts";
import type { Store } from "../store/store.ts";
import { loadTask } from "../task/load.ts";
import type { Task } from "../task/contract.ts";
import { parseRunConfig, type RunConfig, upgradeStoredConfig } from "./config.ts";
import { Engine, type RunOutcome } from "./engine.ts";
import { buildModels, type Models, pinPrices } from "./models.ts";
import {
  clearUnstartedRun,
  createRunDir,
  foreignFiles,
  holdsRun,
  isRunDir,
  lockRun,
  noRunMessage,
  removeLeftovers,
  requireRunDir,
  runFiles,
  writeResolvedConfig,
} from "./run-dir.ts";
import { openRunQueue } from "./run-queue.ts";
import { openRunStore, postgresOf, runIdOf } from "./run-store.ts";
import { refuseTaskModels } from "./task-models.ts";

export interface SessionOptions {
  onEvent?: (event: RunEvent) => void;
  /**
   * Told about choices and problems the user should know of: before the run
   * (no models → tuner, a model without a price) and during it (a model rested).
   */
  onNotice?: (line: string) => void;
  /** Replace the proposer (tests). */
  proposer?: Proposer;
  /** Where model keys are read; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Answer every model request from this recorded run directory instead of the providers (`--replay`). */
  replayFrom?: string;
  /** The recorded order of selections and commits a replay follows (`recordedSchedule`). */
  schedule?: readonly string[] | null;
}

/** One process's session of a run: the engine with its store, sandbox and lock. */
export interface Session {
  dir: string;
  config: RunConfig;
  task: Task;
  store: Store;
  engine: Engine;
  /** The session's sandbox: `concurrency.evaluations` children kept warm. */
  sandbox: ProcessSandbox;
  run(): Promise<RunOutcome>;
}

/**
 * Starts a new run in `config.out` (which must not hold a run yet). Every
 * model is checked first (its spec, its key, its price under a dollar
 * budget), so a bad one fails before anything is written.
 */
export async function startRun(config: RunConfig, options: SessionOptions = {}): Promise<Session> {
  const dir = resolve(config.out ?? "runs/run");
  const unstarted = await checkNewRunDir(dir, config.out ?? dir);
  const task = await loadTask(config.task);
  refuseTaskModels(config, task);
  try {
    findEvolveBlocks(task.initialCode);
  } catch (e) {
    throw new InputError(`${task.initialPath}: ${e instanceof Error ? e.message : String(e)}`);
  }
  // The run records the prices it starts with, so its ledger means the same on any later resume.
  const pinned = pinPrices(config);
  const models = await buildModels(pinned, options);
  if (unstarted) {
    options.onNotice?.(`${dir}: its run never started (no run_started event); starting one there afresh`);
    clearUnstartedRun(dir);
  }
  await refuseTakenRunId(dir, pinned.store);
  createRunDir(dir);
  writeResolvedConfig(dir, pinned);
  return open(dir, pinned, task, options, models);
}

/** A PostgreSQL database may already hold a run of this name (started from another machine). */
async function refuseTakenRunId(dir: string, store: string | undefined): Promise<void> {
  if (!store) return;
  if (await withStore(dir, store, holdsRun)) {
    throw new InputError(
      `the store already holds a run named ${runIdOf(dir)}: resume it with \`adrs resume ${dir} --store …\`, or choose another --out`,
    );
  }
}

/**
 * Whether `dir` may take a new run: a new or empty folder may; so may one a
 * run left before it started (true: its files are to be cleared), unless it
 * also holds files of the user's. A run, or a folder of other files, is refused.
 */
async function checkNewRunDir(dir: string, shown: string): Promise<boolean> {
  if (!existsSync(dir) || !statSync(dir).isDirectory() || readdirSync(dir).length === 0) return false;
  if (isRunDir(dir)) {
    if (await withStore(dir, undefined, holdsRun)) {
      throw new InputError(
        `${dir} already holds a run: resume it with \`adrs resume ${shown}\`, or choose another --out`,
      );
    }
    lockRun(dir)();
    const foreign = foreignFiles(dir);
    if (foreign.length === 0) return true;
    throw new InputError(
      `${dir} holds no run, but files that are not a run's (${foreign.slice(0, 3).join(", ")}): choose an empty or new folder for --out`,
    );
  }
  throw new InputError(
    `${dir} is not empty and holds no run: choose an empty or new folder for --out (nothing in it is overwritten)`,
  );
}

/**
 * Opens an existing run to continue it (`store`: where its events are, when
 * not in its folder: `--store`), with the config it was
 * started with and its latest budget. Budget flags that change the budget are
 * stored as a `budget_changed` event, so later resumes keep them; nothing is
 * written before the run's lock is taken, so a refused resume changes nothing.
 */
export async function resumeRun(
  dir: string,
  options: SessionOptions & { budget?: Partial<RunConfig["budget"]>; store?: string } = {},
): Promise<Session> {
  const full = postgresOf(dir, options.store) ? resolve(dir) : requireRunDir(dir);
  const config = await withStore(full, options.store, (store) => storedConfig(store, full));
  if (options.store) config.store = options.store;
  // A run stored in PostgreSQL resumes on any machine: its folder there holds the lock and the resolved config.
  if (!existsSync(full)) createRunDir(full);
  if (!existsSync(join(full, runFiles.config))) writeResolvedConfig(full, config);
  const before = config.budget;
  if (options.budget) config.budget = { ...config.budget, ...stripUndefined(options.budget) };
  const changed = JSON.stringify(config.budget) !== JSON.stringify(before);
  const task = await loadTask(config.task);
  refuseTaskModels(config, task);
  const models = await buildModels(config, options);
  const release = lockRun(full);
  try {
    removeLeftovers(full);
    if (changed) {
      await withStore(
        full,
        options.store,
        (store) => store.append([{ type: "budget_changed", budget: config.budget }]),
        true,
      );
      writeResolvedConfig(full, config);
    }
  } catch (e) {
    release();
    throw e;
  }
  return open(full, config, task, options, models, release);
}

/**
 * A stored run's config: the one it started with, under its latest budget
 * (the last `budget_changed`, if any). `dir` names the run in errors.
 */
export async function storedConfig(store: Store, dir: string): Promise<RunConfig> {
  const file = join(dir, runFiles.database);
  if (!(await holdsRun(store))) throw new InputError(noRunMessage(dir));
  const stored = upgradeStoredConfig(await store.startConfig());
  const changes = await store.events(0, Number.MAX_SAFE_INTEGER, ["budget_changed"]);
  const latest = changes.at(-1);
  const raw = latest?.type === "budget_changed" ? { ...(stored as object), budget: latest.budget } : stored;
  return parseRunConfig(raw, file);
}

/** `where`: the run's `--store`, when not its config's (else run.db in the folder). */
async function withStore<T>(
  dir: string,
  where: string | undefined,
  use: (store: Store) => Promise<T>,
  write = false,
): Promise<T> {
  const store = await openRunStore(dir, { ...(where ? { store: where } : {}), readonly: !write });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

async function open(
  dir: string,
  config: RunConfig,
  task: Task,
  options: SessionOptions,
  models: Models | null,
  release = lockRun(dir),
): Promise<Session> {
  const store = await openRunStore(dir, config.store ? { store: config.store } : {});
  // Sized to the evaluations in flight, plus the held-out test evaluation of a new best.
  const { evaluations } = config.concurrency;
  const sandbox = new ProcessSandbox({
    log: options.onNotice,
    concurrency: evaluations + 1,
    warm: evaluations,
  });
  // A task that calls models: the calls a resumed run made already answer again from its ledger, for free.
  const taskModels = task.models ? models?.taskModels : undefined;
  if (taskModels) taskModels.restore(await store.modelCalls());
  const jobs = await openRunQueue(dir, config, task, store, sandbox, taskModels);
  const { adaptiveTimeout: _, ...limits } = config.evaluation;
  // Children booted while the store is read and the strategy rebuilt: the seed's evaluation (whose time sets
  // the candidates' limit) and the first candidates' do not wait for a process to start.
  if (!task.external && config.queue === "in-process")
    void sandbox.prewarm(jobs.evaluator.limits, evaluations);
  const strategy = createStrategy(config.strategy);
  const proposer = options.proposer ?? models?.proposer ?? tuner(options);
  const engine = new Engine({
    config,
    task,
    store,
    strategy,
    proposer,
    queue: jobs.queue,
    ...(config.audit.onNewBest ? { gate: new AuditGate(task, sandbox, limits) } : {}),
    ...(models ? { ledger: models.ledger } : {}),
    onEvent: options.onEvent,
    ...(options.onNotice ? { onNotice: options.onNotice } : {}),
    ...(options.schedule ? { schedule: options.schedule } : {}),
  });
  // A replay whose recording has no reply for a task's request cannot go on, as for a proposal's.
  if (taskModels) taskModels.onFatal = (message) => engine.stop("error", message);
  return {
    dir,
    config,
    task,
    store,
    engine,
    sandbox,
    async run() {
      try {
        return await engine.run();
      } finally {
        await jobs.close();
        await sandbox.close();
        await store.close();
        release();
      }
    },
  };
}

/** The LLM-free proposer, for a run with no models. */
function tuner(options: SessionOptions): Proposer {
  options.onNotice?.(
    "No model is configured (models: in the config, or --model): running the LLM-free tuner, which perturbs the numeric constants inside EVOLVE-BLOCKs.",
  );
  return new TunerProposer();
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
