import { InputError } from "../core/errors.ts";

/** A CLI error: printed as one clear message, no stack, exit code 2. */
export class UsageError extends InputError {
  override name = "UsageError";
}
