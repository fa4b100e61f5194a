/**
 * Bad input, as opposed to a failure: every command reports an InputError
 * (or a subclass) as bad usage, config or input (exit code 2; src/cli/main.ts
 * maps it), and anything else as a run or an evaluation that failed (exit 1).
 * Its message names the flag, file, key or line and says what to do.
 */
export class InputError extends Error {
  override name = "InputError";
}
