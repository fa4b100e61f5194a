import { Command, CommanderError, InvalidArgumentError } from "commander";
import { InputError } from "../core/errors.ts";
import { useBuild } from "../task/modules.ts";

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
const collect = (v: string, previous: string[] = []) => [...previous, v];

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
      .option("--edit-mode <mode>", "diff (SEARCH/REPLACE) or full (rewrites)")
      .option("--proposals <n>", "proposals in flight", int("--proposals"))
      .option("--evaluations <n>", "evaluations in flight", int("--evaluations"))
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
      .option("--json", "print the outcome as JSON"),
  ).action(lazy(() => import("./commands/run.ts"), "resumeCommand"));

  program
    .command("status")
    .description("state, iterations, evaluations, best scores, spend and rate of a run")
    .argument("<dir>", "run directory")
    .option("--json", "print JSON")
    .action(lazy(() => import("./commands/status.ts"), "statusCommand"));

  program
    .command("best")
    .description("print the best program of a run and its metrics")
    .argument("<dir>", "run directory")
    .option("-o, --out <file>", "write the program to this file")
    .option("--json", "print JSON")
    .action(lazy(() => import("./commands/best.ts"), "bestCommand"));

  program
    .command("eval")
    .description("evaluate a program file on a task's train and test splits")
    .argument("<task>", "task id or path")
    .argument("<file>", "program file")
    .option("--json", "print JSON")
    .action(lazy(() => import("./commands/eval.ts"), "evalCommand"));

  program
    .command("serve")
    .description("the dashboard: watch, compare and steer runs in the browser")
    .argument("[folders...]", "run folders, or folders holding runs (default: runs)")
    .option("-p, --port <n>", "port (0: any free one)", int("--port"))
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
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`adrs: ${message}\n`);
    return e instanceof InputError ? 2 : 1;
  }
}
