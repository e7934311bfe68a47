import {
  CAPTURE_PARAMETER_NAMES,
  type CaptureParameterRanges,
  type CaptureParameters,
} from "../../drivers/sensor.js";
import type { ConditionVerdict } from "../quality/verdict.js";

/**
 * Which way each condition pushes the sensor's capture parameters. A wet or heavily
 * pressed finger floods the platen with dark merged ridges, so less gain and exposure
 * separate them; a dry or light one gives faint broken ridges, so more gain, exposure
 * and light bring them up. Position and motion problems are the traveller's to fix.
 */
const DIRECTION: Readonly<Record<ConditionVerdict | "refused", -1 | 0 | 1>> = {
  wet: -1,
  "too-heavy": -1,
  dry: 1,
  "too-light": 1,
  good: 0,
  partial: 0,
  smudged: 0,
  "no-finger": 0,
  refused: 0,
};

/** One step is this share of the parameter's range: four steps reach either end from the middle. */
const STEP_SHARE = 0.125;

/** The parameters a sensor starts with, which every session returns it to. */
export function initialParameters(ranges: CaptureParameterRanges): CaptureParameters {
  const initial: Partial<Record<(typeof CAPTURE_PARAMETER_NAMES)[number], number>> = {};
  for (const name of CAPTURE_PARAMETER_NAMES) {
    const range = ranges[name];
    if (range !== undefined) initial[name] = range.initial;
  }
  return initial;
}

/**
 * The parameters for the next attempt after one judged `condition`, or undefined when
 * nothing should change (a condition the parameters do not help, or every one already at
 * its limit).
 */
export function adaptParameters(
  current: CaptureParameters,
  ranges: CaptureParameterRanges,
  condition: ConditionVerdict | "refused",
): CaptureParameters | undefined {
  const direction = DIRECTION[condition];
  if (direction === 0) return undefined;
  const next: Partial<Record<(typeof CAPTURE_PARAMETER_NAMES)[number], number>> = {
    ...current,
  };
  let changed = false;
  for (const name of CAPTURE_PARAMETER_NAMES) {
    const range = ranges[name];
    if (range === undefined) continue;
    const now = current[name] ?? range.initial;
    const step = (range.max - range.min) * STEP_SHARE * direction;
    const value = Math.min(range.max, Math.max(range.min, now + step));
    if (value !== now) changed = true;
    next[name] = value;
  }
  return changed ? next : undefined;
}
