import { AdaptiveStrategy } from "./adaptive.ts";
import { BestOfNStrategy, HillClimbStrategy } from "./baselines.ts";
import { type StrategyConfig, strategyConfig } from "./config.ts";
import { GepaStrategy } from "./gepa.ts";
import { IslandsStrategy } from "./islands.ts";
import { optionsError } from "./options.ts";
import { ShinkaStrategy } from "./shinka.ts";
import type { Strategy } from "./strategy.ts";

export { type AdaptiveOptions, AdaptiveStrategy, adaptiveConfig } from "./adaptive.ts";
export { BestOfNStrategy, HillClimbStrategy } from "./baselines.ts";
export { type StrategyConfig, type StrategyKind, strategyConfig } from "./config.ts";
export { dominates, type GepaOptions, GepaStrategy, gepaConfig } from "./gepa.ts";
export { type IslandsDescription, IslandsStrategy } from "./islands.ts";
export { ISLANDS_DEFAULTS, type IslandsOptions, islandsConfig } from "./islands-config.ts";
export { jaccard, shingles } from "./novelty.ts";
export type { FailedAttempt, ModelQuestion, Proposal, ProposalContext, Proposer } from "./proposer.ts";
export { type ShinkaOptions, ShinkaStrategy, shinkaConfig } from "./shinka.ts";
export type {
  Directive,
  ModelAnswer,
  PromptSection,
  ScreenTools,
  ScreenVerdict,
  Selection,
  Settled,
  Strategy,
  StrategyEvent,
} from "./strategy.ts";
export {
  findNumericLiterals,
  type NumericLiteral,
  stepSize,
  type TunerOptions,
  TunerProposer,
} from "./tuner.ts";

/**
 * The strategy a run's `strategy:` section asks for (raw or already parsed;
 * no `kind` means islands; missing keys take the kind's defaults).
 */
export function createStrategy(section: unknown = {}): Strategy {
  const parsed = strategyConfig.safeParse(section);
  if (!parsed.success) throw optionsError(parsed.error);
  const config = parsed.data as StrategyConfig;
  switch (config.kind) {
    case "islands":
      return new IslandsStrategy(config);
    case "gepa":
      return new GepaStrategy(config);
    case "best-of-n":
      return new BestOfNStrategy(config);
    case "hill-climb":
      return new HillClimbStrategy(config);
    case "shinka":
      return new ShinkaStrategy(config);
    case "adaptive":
      return new AdaptiveStrategy(config);
  }
}
