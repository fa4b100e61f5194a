/** An edit that cannot be applied; its message is written to be shown to the model in a repair prompt. */
export class EditError extends Error {
  override name = "EditError";
}
