/**
 * Bad input, as opposed to a failure: every command reports an InputError
 * (or a subclass) as bad usage, config or input (exit code 2; src/cli/main.ts
 * maps it), and anything else as a run or an evaluation that failed (exit 1).
 * Its message names the flag, file, key or line and says what to do.
 */
export class InputError extends Error {
  override name = "InputError";
}

/**
 * A write failed for want of space (ENOSPC, a quota, SQLite's "database or
 * disk is full"). Nothing half-written is kept, so once space is freed the
 * run resumes where it stopped. An error of the run, not of its input.
 */
export class DiskFullError extends Error {
  override name = "DiskFullError";

  constructor(
    readonly file: string,
    cause?: unknown,
  ) {
    super(`disk full while writing ${file}`, cause === undefined ? undefined : { cause });
  }
}

/** Whether an error from the file system or SQLite means the disk (or quota) is full. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT" || code === "SQLITE_FULL";
}
