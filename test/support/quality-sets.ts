import { CONDITION_KINDS } from "../../hardware-sim/prints/conditions.js";
import {
  CALIBRATION_SENSORS,
  labelledCaptures,
  type LabelledCapture,
} from "../../hardware-sim/quality-calibration/labelled-set.js";

/**
 * Held-out people for the quality model's tests: the calibration uses seeds below 10000
 * (basma-sim calibrate-quality refuses higher), so nothing here was seen in fitting.
 */
export const HELD_OUT_FIRST_SEED = 10_000;

/** Every condition at every level on one placement per person, so only the condition varies. */
export function heldOutConditionSet(persons: number, levels: readonly number[]): LabelledCapture[] {
  return labelledCaptures({
    persons,
    firstSeed: HELD_OUT_FIRST_SEED,
    severityLevels: [levels],
    cleanImpressions: 0,
    sensors: CALIBRATION_SENSORS,
    varyPlacement: false,
    kinds: CONDITION_KINDS,
  });
}

/** Clean captures only: several placements of many held-out people. */
export function heldOutCleanSet(persons: number, impressions: number): LabelledCapture[] {
  return labelledCaptures({
    persons,
    firstSeed: HELD_OUT_FIRST_SEED + 500,
    severityLevels: [[]],
    cleanImpressions: impressions,
    sensors: CALIBRATION_SENSORS,
    varyPlacement: true,
    kinds: [],
  });
}

/** Spearman's rank correlation, ties given their mean rank. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  const ranks = (values: readonly number[]): number[] => {
    const order = values
      .map((value, index) => ({ value, index }))
      .sort((a, b) => a.value - b.value);
    const result = new Array<number>(values.length);
    for (let i = 0; i < order.length;) {
      let j = i;
      while (j + 1 < order.length && order[j + 1]?.value === order[i]?.value) j++;
      for (let k = i; k <= j; k++) result[order[k]?.index ?? 0] = (i + j) / 2;
      i = j + 1;
    }
    return result;
  };
  const rx = ranks(x);
  const ry = ranks(y);
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
  const mx = mean(rx);
  const my = mean(ry);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < rx.length; i++) {
    const dx = (rx[i] ?? 0) - mx;
    const dy = (ry[i] ?? 0) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}
