/**
 * Strategy options come from one zod schema per kind (the `strategy:` section
 * of the config): the same schema fills in defaults and checks bounds whether
 * the options come from a config file or from code.
 */
import type { z } from "zod";

/** An error naming each bad key as the config would (`strategy.islands: …`). */
export function optionsError(error: z.ZodError): Error {
  const lines = error.issues.map(
    (i) =>
      `strategy${i.path.map((p) => `.${String(p)}`).join("")}: ${i.message.replace(/^Invalid input: /, "")}`,
  );
  return new Error(lines.join("\n"));
}

type KindSchema = z.ZodType<{ kind: string }>;

/** The schema's output for `{ kind }` alone: every default, without the kind. */
export function defaultsOf<S extends KindSchema>(schema: S, kind: string): Omit<z.output<S>, "kind"> {
  return parseOptions(schema, kind, {});
}

/**
 * Options given in code (missing or undefined keys take the defaults) checked
 * against the kind's schema; errors name the key as the config would
 * (`strategy.islands: …`).
 */
export function parseOptions<S extends KindSchema>(
  schema: S,
  kind: string,
  options: object,
): Omit<z.output<S>, "kind"> {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const result = schema.safeParse({ ...given, kind });
  if (!result.success) throw optionsError(result.error);
  const { kind: _, ...rest } = result.data as z.output<S> & { kind: string };
  return rest as Omit<z.output<S>, "kind">;
}
