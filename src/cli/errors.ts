/** A CLI error: printed as one clear message, no stack, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
