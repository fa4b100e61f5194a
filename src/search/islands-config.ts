import { z } from "zod";
import { defaultsOf } from "./options.ts";

/**
 * The `strategy:` section of `kind: islands`: the one source of its keys,
 * bounds and defaults (the config and the constructor both parse with it).
 */
export const islandsConfig = z
  .strictObject({
    kind: z.literal("islands"),
    /** Number of islands, arranged in a ring. */
    islands: z.number().int().min(1).default(3),
    /** Cap on distinct programs over all islands (elites and the best are kept even past it). */
    populationSize: z.number().int().min(1).default(1000),
    /** Island generations (children ingested into that island) between two migrations out of it. */
    migrationInterval: z.number().int().min(1).default(20),
    /** Share of an island's population (its top programs, at least one) copied to both ring neighbours. */
    migrationRate: z.number().min(0).max(1).default(0.1),
    /** Probability of picking the parent uniformly from the island. */
    explorationRatio: z.number().min(0).max(1).default(0.2),
    /** Probability of picking the parent uniformly from the island's archive of elites. */
    exploitationRatio: z.number().min(0).max(1).default(0.7),
    /** Share of each island's population (at least one program) that forms its archive of elites. */
    eliteRatio: z.number().min(0).max(1).default(0.1),
    /** Number of inspiration programs handed to the proposer: about half top programs, half diverse ones. */
    inspirations: z.number().int().min(0).default(4),
    /** MAP-Elites axes: `score`, `codeLength`, or the name of a metric in `program.metrics`. */
    featureDimensions: z
      .array(z.string().min(1))
      .min(1)
      .refine((d) => new Set(d).size === d.length, "expected a list without repeats")
      .default(["score", "codeLength"]),
    /** Bins per feature dimension. */
    featureBins: z.number().int().min(1).default(10),
  })
  .refine((o) => o.explorationRatio + o.exploitationRatio <= 1 + 1e-9, {
    path: ["exploitationRatio"],
    message: "explorationRatio + exploitationRatio must be at most 1",
  });

/** Options of the OpenEvolve-style island model; config keys under `strategy` carry the same names. */
export type IslandsOptions = Omit<z.output<typeof islandsConfig>, "kind">;

export const ISLANDS_DEFAULTS: Readonly<IslandsOptions> = Object.freeze(defaultsOf(islandsConfig, "islands"));
