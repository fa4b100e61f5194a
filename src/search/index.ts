import { type IslandsOptions, IslandsStrategy } from "./islands.ts";
import type { Strategy } from "./strategy.ts";

export {
  ISLANDS_DEFAULTS,
  type IslandsDescription,
  type IslandsOptions,
  IslandsStrategy,
} from "./islands.ts";
export type { FailedAttempt, Proposal, ProposalContext, Proposer } from "./proposer.ts";
export type { Selection, Strategy, StrategyEvent } from "./strategy.ts";
export {
  findNumericLiterals,
  type NumericLiteral,
  stepSize,
  TunerProposer,
  type TunerOptions,
} from "./tuner.ts";

/**
 * The strategy a run's config asks for, from its `strategy` section (keys as in
 * IslandsOptions; missing ones take the defaults). Islands + MAP-Elites is the
 * only strategy so far, so the section has no name to choose by.
 */
export function createStrategy(section: Partial<IslandsOptions> = {}): Strategy {
  return new IslandsStrategy(section);
}
