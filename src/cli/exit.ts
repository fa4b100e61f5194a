import { CommanderError } from "commander";
import { InputError } from "../core/errors.ts";

/** The exit codes of every command (README, "Exit codes"). */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

/**
 * The one mapping from an error to an exit code, for every command: help and
 * version are not errors; commander's usage errors (unknown command or flag,
 * missing argument, bad flag value) and InputError (bad config, task, file,
 * run directory; UsageError and ConfigError are kinds of it) are bad input;
 * anything else is a run or an evaluation that failed. A command reports a
 * failed outcome it handled itself by setting `process.exitCode = EXIT.failed`.
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  if (error instanceof InputError) return EXIT.badInput;
  return EXIT.failed;
}
