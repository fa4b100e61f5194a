import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { parseDuration } from "../core/duration.ts";
import { useBuild } from "../task/modules.ts";
import { EXIT, exitCodeOf } from "./exit.ts";

/**
 * A command's action, imported when the command runs: a command loads only
 * what it needs (`adrs tasks` neither the store nor the model SDKs).
 */
function lazy<K extends string>(
  load: () => Promise<Record<K, (...args: never[]) => Promise<void>>>,
  name: K,
): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    const action = (await load())[name] as (...a: unknown[]) => Promise<void>;
    await action(...args);
  };
}

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer, got "${v}"`);
  return n;
};
const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${v}"`);
  return n;
};
const atLeast = (name: string, min: number) => (v: string) => {
  const n = int(name)(v);
  if (n < min) throw new InvalidArgumentError(`${name} must be at least ${min}, got ${n}`);
  return n;
};
const milliseconds = (name: string) => (v: string) => {
  const seconds = parseDuration(v);
  if (seconds === null)
    throw new InvalidArgumentError(
      `${name}: expected seconds or a duration like "500ms", "30s" or "2m", got "${v}"`,
    );
  return Math.max(1, Math.round(seconds * 1000));
};
const collect = (v: string, previous: string[] = []) => [...previous, v];
const STORE_FLAG = "--store <url>";
const STORE_HELP =
  "the run's events in this PostgreSQL database (postgres://user@host:5432/db), the run named like its folder; default run.db in the folder";

export function buildProgram(): Command {
  const program = new Command("adrs")
    .description("AI-Driven Research for Systems: evolve algorithms against trusted simulators")
    .showHelpAfterError()
    .exitOverride();

  program
    .command("tasks")
    .description("list the tasks, one line each")
    .option("--json", "print JSON")
    .action(lazy(() => import("./commands/tasks.ts"), "tasksCommand"));

  const budgetFlags = (c: Command) =>
    c
      .option(
        "--iterations <n>",
        "stop after this many iterations (candidates proposed)",
        int("--iterations"),
      )
      .option(
        "--budget-usd <x>",
        "a hard dollar budget: no request is sent whose cost could take the spend past it",
        num("--budget-usd"),
      )
      .option("--time-limit <t>", 'stop after this much active time: seconds, or "30m", "2h"')
      .option(
        "--target-score <s>",
        "stop when the best train score reaches this (0–100)",
        num("--target-score"),
      )
      .option("--patience <n>", "stop after this many iterations without improvement", int("--patience"));

  budgetFlags(
    program
      .command("run")
      .description("start an evolution run on a task (an id from `adrs tasks`, or a task folder)")
      .argument("[task]", "task id or path (or `task:` in the config)")
      .option("-c, --config <file>", "YAML run file")
      .option("-m, --model <spec>", "model as provider:name (repeat for an ensemble)", collect)
      .option(
        "--base-url <url>",
        "server for the models: an OpenAI-compatible one's /v1 (vLLM, Ollama, …), or an Anthropic or Gemini proxy's root",
      )
      .option("-o, --out <dir>", "run directory (default runs/<task>-<time>)")
      .option("--seed <n>", "random seed", int("--seed"))
      .option("--strategy <kind>", "search strategy kind (docs/strategies.md); default islands")
      .addOption(
        new Option(
          "--edit-mode <mode>",
          "diff (SEARCH/REPLACE blocks) or full (whole-file rewrites)",
        ).choices(["diff", "full"]),
      )
      .option("--proposals <n>", "proposals in flight", int("--proposals"))
      .option(
        "--ordered",
        "concurrency.ordered: iteration k waits until every iteration up to k − proposals has settled (with --proposals 1, reproducible without the recording)",
      )
      .option(STORE_FLAG, STORE_HELP)
      .addOption(
        new Option(
          "--queue <queue>",
          "where evaluations run: in-process (this machine) or workers (`adrs worker` processes on the --store database)",
        ).choices(["in-process", "workers"]),
      )
      .option("--evaluations <n>", "evaluations in flight", int("--evaluations"))
      .option(
        "--repeats <n>",
        "a noisy task's re-evaluations of the seed and of each would-be best, beside the incumbent (default 5; 0: none)",
        int("--repeats"),
      )
      .option(
        "--replay <dir>",
        "rerun the run recorded in <dir> with its config, answering every model request from its recording (no network)",
      )
      .option("--json", "print the outcome as JSON"),
  ).action(lazy(() => import("./commands/run.ts"), "runCommand"));

  budgetFlags(
    program
      .command("resume")
      .description("continue a run that stopped or was killed; budget flags extend it")
      .argument("<dir>", "run directory")
      .option(STORE_FLAG, STORE_HELP)
      .option("--json", "print the outcome as JSON"),
  ).action(lazy(() => import("./commands/run.ts"), "resumeCommand"));

  budgetFlags(
    program
      .command("compare")
      .description(
        "run several strategies on a task, each over several seeds with the same budget and models, and summarise them",
      )
      .argument("[task]", "task id or path (or `task:` in the config)")
      .option(
        "--strategies <list>",
        "comma-separated strategy kinds (default: every kind, docs/strategies.md)",
      )
      .option("--seeds <k>", "runs per strategy, seeds seed … seed+k−1", atLeast("--seeds", 1), 3)
      .option(
        "-c, --config <file>",
        "YAML run file every run shares (models, budget, evaluation, concurrency)",
      )
      .option(
        "-m, --model <spec>",
        "model as provider:name (repeat for an ensemble); none: the tuner",
        collect,
      )
      .option("--base-url <url>", "server for the models (as for adrs run)")
      .addOption(new Option("--edit-mode <mode>", "diff or full, for every run").choices(["diff", "full"]))
      .option("--proposals <n>", "proposals in flight in each run", int("--proposals"))
      .option("--evaluations <n>", "evaluations in flight in each run", int("--evaluations"))
      .option(
        "--parallel <n>",
        "runs at a time (default: the cores over each run's evaluations in flight)",
        atLeast("--parallel", 1),
      )
      .option("-o, --out <dir>", "compare folder (default runs/compare-<task>); the same one continues it")
      .option("--json", "print the summary as JSON"),
  ).action(lazy(() => import("./commands/compare.ts"), "compareCommand"));

  program
    .command("status")
    .description("state, iterations, evaluations, best scores, spend and rate of a run")
    .argument("<dir>", "run directory")
    .option(
      "--edits",
      "also how edits fare: acceptance and mean score change by model, role, edit mode, operation and strategy",
    )
    .option(STORE_FLAG, STORE_HELP)
    .option("--json", "print JSON")
    .action(lazy(() => import("./commands/status.ts"), "statusCommand"));

  program
    .command("best")
    .description("print the best program of a run and its metrics")
    .argument("<dir>", "run directory")
    .option("-o, --out <file>", "write the program to this file")
    .option(STORE_FLAG, STORE_HELP)
    .option("--json", "print JSON")
    .action(lazy(() => import("./commands/best.ts"), "bestCommand"));

  program
    .command("eval")
    .description(
      "evaluate a program file on a task's train split, then on its test split if the train split is valid",
    )
    .argument("<task>", "task id or path")
    .argument("<file>", "program file")
    .addOption(
      new Option("--split <split>", "which split to evaluate")
        .choices(["train", "test", "both"])
        .default("both"),
    )
    .option(
      "--timeout <t>",
      'wall-clock limit of each run, instead of the task\'s: seconds, or "500ms", "30s", "2m"',
      milliseconds("--timeout"),
    )
    .option(
      "--memory-mb <n>",
      "heap limit of the program in MB, instead of the task's",
      atLeast("--memory-mb", 32),
    )
    .option(
      "--repeat <k>",
      "evaluate k times and report the median and spread of every score and metric",
      atLeast("--repeat", 1),
    )
    .option("--json", "print JSON")
    .action(lazy(() => import("./commands/eval.ts"), "evalCommand"));

  program
    .command("audit")
    .description(
      "audit a program against a baseline on train, test and stress probes: crashes, blow-ups, memory, regressions, non-determinism",
    )
    .argument("<task>", "task id or folder")
    .argument("<program>", "the program file to audit")
    .option("--baseline <file>", "the program to compare with (default: the task's seed)")
    .option("--json", "print JSON")
    .addOption(
      new Option("--split <split>", "probe one split only (default: all three)").choices([
        "train",
        "test",
        "stress",
      ]),
    )
    .option(
      "--timeout <t>",
      'wall-clock limit of each probe (two or three calls), instead of the task\'s: seconds, or "30s", "2m"',
      milliseconds("--timeout"),
    )
    .option(
      "--memory-mb <n>",
      "heap limit of the program in MB, instead of the task's",
      atLeast("--memory-mb", 32),
    )
    .action(lazy(() => import("./commands/audit.ts"), "auditCommand"));

  program
    .command("doctor")
    .description(
      "check this machine: node, addons, sandbox protection, data sets, disk, model keys, one tiny evaluation",
    )
    .option("--json", "print JSON")
    .action(lazy(() => import("./commands/doctor.ts"), "doctorCommand"));

  program
    .command("worker")
    .description(
      "evaluate the jobs of runs stored in PostgreSQL (`--queue workers`), on this machine, until Ctrl-C",
    )
    .option(STORE_FLAG, "the runs' PostgreSQL database (postgres://user@host:5432/db)")
    .option("--concurrency <n>", "jobs evaluated at once (default 1)", int("--concurrency"))
    .option("--lease <t>", 'how long a job stays this worker\'s without a renewal (default "30s")')
    .action(lazy(() => import("./commands/worker.ts"), "workerCommand"));

  program
    .command("serve")
    .description("the dashboard: watch, compare and steer runs in the browser")
    .argument("[folders...]", "run folders, or folders holding runs (default: runs)")
    .option("-p, --port <n>", "port (0: any free one)", int("--port"))
    .option(STORE_FLAG, STORE_HELP)
    .option(
      "--host <address>",
      "address to listen on (default 127.0.0.1); any other needs a token, printed at start",
    )
    .action(lazy(() => import("./commands/serve.ts"), "serveCommand"));

  return program;
}

export interface MainOptions {
  /** The build the CLI runs from (bin/build.mjs), whose compiled tasks are used. */
  build?: string;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  if (options.build) useBuild(options.build);
  // A reader that stops reading (`adrs tasks | head -1`) is not an error.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(EXIT.ok);
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (e) {
    // Commander has printed its own message (and the help) already.
    if (!(e instanceof CommanderError)) {
      process.stderr.write(`adrs: ${e instanceof Error ? e.message : String(e)}\n`);
    }
    return exitCodeOf(e);
  }
}
