import { z } from "zod";
import { adaptiveConfig } from "./adaptive.ts";
import { bestOfNConfig, hillClimbConfig } from "./baselines.ts";
import { gepaConfig } from "./gepa.ts";
import { islandsConfig } from "./islands-config.ts";
import { shinkaConfig } from "./shinka.ts";

const kinds = [
  islandsConfig,
  gepaConfig,
  bestOfNConfig,
  hillClimbConfig,
  shinkaConfig,
  adaptiveConfig,
] as const;

/**
 * The `strategy:` section of a run config: `kind` picks the strategy, the
 * other keys are its options (each kind's schema lives beside it and holds
 * its defaults). A section without `kind` is islands, as configs and stored
 * runs from before there was a choice are.
 */
export const strategyConfig = z.preprocess(
  (v) =>
    v !== null && typeof v === "object" && !Array.isArray(v) && !("kind" in v)
      ? { kind: "islands", ...v }
      : v,
  z.discriminatedUnion("kind", kinds),
);

export type StrategyConfig = z.output<typeof strategyConfig>;
export type StrategyKind = StrategyConfig["kind"];

/** Every strategy kind, in the order the schema lists them (`adrs compare`'s default). */
export const STRATEGY_KINDS: readonly StrategyKind[] = kinds.map((k) => k.shape.kind.value);
