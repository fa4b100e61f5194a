/**
 * Scores of one repaired scenario against the truth: the published counter and
 * status accuracies and calibration, and our calibration, a proper scoring rule.
 *
 * Published calibration pays a confident answer when it is accurate (error
 * under 20 %) and charges little when it is not, so passing the data through
 * with confidence 1 beats the human state of the art. Ours is the Brier score
 * of the confidence as a forecast that the repaired value is correct (within
 * 10 % of the truth): the best constant confidence is the share of correct
 * values, and only telling right from wrong values earns more.
 */
import type { Repair, Truth } from "./telemetry.ts";

/** Weights of the combined score, as published: counters, statuses, calibration. */
export const WEIGHTS = { counter: 0.75, status: 0.05, calibration: 0.2 } as const;
/** A repaired counter is correct within this relative error (of the larger of truth, value and 1 Mbps). */
export const TOLERANCE = 0.1;

const RATES = ["rx_rate", "tx_rate"] as const;

/** Relative error as the published calibration measures it. */
function relativeError(truth: number, value: number): number {
  return Math.abs(truth - value) / Math.max(Math.abs(truth), Math.abs(value), 1);
}

export function isCorrect(truth: number, value: number): boolean {
  return relativeError(truth, value) <= TOLERANCE;
}

/** The published per-counter calibration score. */
export function publishedCalibrationTerm(truth: number, value: number, confidence: number): number {
  const accuracy = 1 - relativeError(truth, value);
  let score: number;
  if (accuracy > 0.8) score = confidence > 0.7 ? 1 : 0.5 + (confidence - 0.3) * 1.25;
  else if (confidence < 0.3) score = 0.8;
  else score = Math.max(0, 0.8 - confidence * (1 - accuracy) * 2);
  return Math.max(0, Math.min(1, score));
}

export interface ScenarioScores {
  counter: number;
  status: number;
  calibration: number;
  combined: number;
  publishedCalibration: number;
  publishedCombined: number;
  /** Counters outside the tolerance. */
  wrong: number;
  /** Of those, the ones given a confidence above 0.5. */
  overconfident: number;
  /** Counters within the tolerance given a confidence of 0.5 or less. */
  underconfident: number;
}

/** Scores a validated repair (every interface present, values and confidences in range). */
export function scoreRepair(repair: Repair, truth: Truth): ScenarioScores {
  let counterError = 0;
  let counted = 0;
  let statusRight = 0;
  let statuses = 0;
  let brier = 0;
  let published = 0;
  let rates = 0;
  let wrong = 0;
  let overconfident = 0;
  let underconfident = 0;
  for (const [id, t] of Object.entries(truth)) {
    const r = repair[id];
    if (r === undefined) throw new Error(`scoreRepair: interface ${id} missing (validate first)`);
    for (const rate of RATES) {
      const gt = t[rate];
      const [, value, confidence] = r[rate];
      if (gt > 0) {
        counterError += Math.min(Math.abs(value - gt) / gt, 1);
        counted++;
      }
      const correct = isCorrect(gt, value);
      brier += (confidence - (correct ? 1 : 0)) ** 2;
      published += publishedCalibrationTerm(gt, value, confidence);
      rates++;
      if (!correct) {
        wrong++;
        if (confidence > 0.5) overconfident++;
      } else if (confidence <= 0.5) underconfident++;
    }
    statuses++;
    if (r.interface_status[1] === t.interface_status) statusRight++;
  }
  const counter = counted === 0 ? 0 : Math.max(0, 1 - counterError / counted);
  const status = statuses === 0 ? 1 : statusRight / statuses;
  const calibration = rates === 0 ? 1 : 1 - brier / rates;
  const publishedCalibration = rates === 0 ? 1 : published / rates;
  return {
    counter,
    status,
    calibration,
    combined: WEIGHTS.counter * counter + WEIGHTS.status * status + WEIGHTS.calibration * calibration,
    publishedCalibration,
    publishedCombined:
      WEIGHTS.counter * counter + WEIGHTS.status * status + WEIGHTS.calibration * publishedCalibration,
    wrong,
    overconfident,
    underconfident,
  };
}

/** The published 0–100 score of a mean combined score: 0 at 0.80, 50 at 0.82, 100 at 1 (piecewise linear). */
export function publishedScore(combined: number): number {
  const raw = combined <= 0.82 ? ((combined - 0.8) / 0.02) * 50 : 50 + ((combined - 0.82) / 0.18) * 50;
  return Math.max(0, Math.min(100, raw));
}
