import { measureConditionFeatures } from "../../agent/quality/condition-features.js";
import { featureVector, type FeatureVector } from "../../agent/quality/feature-vector.js";
import { greyLevelsAt } from "../../agent/quality/grey-levels.js";
import { measureIso29794 } from "../../agent/quality/iso29794/index.js";
import type { GreyImage } from "../../drivers/sensor.js";
import { CONDITION_KINDS, type ConditionKind } from "../prints/conditions.js";
import { mixSeeds, mulberry32 } from "../prints/prng.js";
import { renderPrint } from "../prints/render-print.js";
import type { SensorName } from "../prints/sensor-profiles.js";

/** One labelled synthetic capture: who, which sensor, and what went wrong how badly. */
export interface LabelledCapture {
  readonly seed: number;
  readonly position: number;
  readonly impression: number;
  readonly sensor: SensorName;
  /** undefined for a clean print. */
  readonly kind: ConditionKind | undefined;
  readonly severity: number;
}

export interface LabelledSample extends LabelledCapture {
  /** undefined when the measures refused the image (blank, too small). */
  readonly features: FeatureVector | undefined;
}

export interface LabelledSetOptions {
  /** Simulated people; each gives one finger, every condition at every severity. */
  readonly persons: number;
  /** Seed of the first person; training and test sets use disjoint ranges. */
  readonly firstSeed: number;
  /** Severities to render each kind at; person i uses set i modulo their number. */
  readonly severityLevels: readonly (readonly number[])[];
  /** Clean impressions per person (impressions differ in pose and pressure). */
  readonly cleanImpressions: number;
  readonly sensors: readonly SensorName[];
  /**
   * true: every capture is another placement (pose, pressure), as at the gate; false: one
   * placement per person under every condition, isolating the condition's own effect.
   */
  readonly varyPlacement: boolean;
  readonly kinds?: readonly ConditionKind[];
}

/** The single-finger modules the gate uses, in proportion to how often they are fitted. */
export const CALIBRATION_SENSORS: readonly SensorName[] = ["r307", "r503", "usb-optical", "r307"];

/**
 * The captures of a labelled set: per person one finger (position and sensor vary with
 * the seed), `cleanImpressions` clean captures and every kind at every level.
 */
export function labelledCaptures(options: LabelledSetOptions): LabelledCapture[] {
  const kinds = options.kinds ?? CONDITION_KINDS;
  const captures: LabelledCapture[] = [];
  for (let p = 0; p < options.persons; p++) {
    const seed = options.firstSeed + p;
    const position = 1 + (seed % 10);
    const sensor = options.sensors[p % options.sensors.length] ?? "r307";
    const levels = options.severityLevels[p % options.severityLevels.length] ?? [];
    for (let impression = 0; impression < options.cleanImpressions; impression++) {
      captures.push({ seed, position, impression, sensor, kind: undefined, severity: 0 });
    }
    kinds.forEach((kind, k) => {
      levels.forEach((severity, s) => {
        const impression = options.varyPlacement ? 1 + k * levels.length + s : 1;
        captures.push({ seed, position, impression, sensor, kind, severity });
      });
    });
  }
  return captures;
}

/**
 * The capture as a sensor of another grey character would show it: its own empty-platen
 * level (215-255) and ridge contrast (0.85-1.3 times the profile's). Without this the
 * model would learn the few profiles' absolute grey levels (NIST's SFinGe images, white
 * with black ridges, looked "too light" to it) instead of how conditions change a print.
 */
function varySensorGrey(image: GreyImage, capture: LabelledCapture): GreyImage {
  const random = mulberry32(
    mixSeeds(capture.seed, capture.position, capture.impression, 0x67726579),
  );
  const [platen = 255] = greyLevelsAt(image.pixels, [0.98]);
  const newPlaten = 215 + 40 * random();
  const contrast = 0.85 + 0.45 * random();
  const pixels = image.pixels.map((value) =>
    Math.max(0, Math.min(255, Math.round(newPlaten - (platen - value) * contrast))),
  );
  return { ...image, pixels };
}

export function renderCapture(capture: LabelledCapture): GreyImage {
  const { seed, position, impression, sensor, kind, severity } = capture;
  const image = renderPrint({
    seed,
    position,
    impression,
    sensor,
    conditions: kind === undefined ? [] : [{ kind, severity }],
  });
  return varySensorGrey(image, capture);
}

/** Renders and measures every capture of a set, reporting progress after each person. */
export function generateLabelledSet(
  options: LabelledSetOptions,
  onProgress?: (done: number, total: number) => void,
): LabelledSample[] {
  const captures = labelledCaptures(options);
  return captures.map((capture, i) => {
    const image = renderCapture(capture);
    let features: FeatureVector | undefined;
    try {
      features = featureVector(measureIso29794(image), measureConditionFeatures(image));
    } catch {
      features = undefined;
    }
    if (i === captures.length - 1 || captures[i + 1]?.seed !== capture.seed) {
      onProgress?.(i + 1, captures.length);
    }
    return { ...capture, features };
  });
}
