import type { GreyImage } from "../../drivers/sensor.js";
import { CALIBRATED_MODEL } from "./calibrated-model.js";
import { measureConditionFeatures, type ConditionFeatures } from "./condition-features.js";
import { featureVector } from "./feature-vector.js";
import { SIDE_RANGE } from "./image-file/decode-image.js";
import { surveyImage, surveyLevels } from "./image-survey.js";
import { ImageFileError } from "./image-file/image-file-error.js";
import {
  ISO29794_MEASURES_VERSION,
  Iso29794InputError,
  measureIso29794,
  type Iso29794Key,
} from "./iso29794/index.js";
import { MIN_SIDE, validateImage } from "./iso29794/prepare.js";
import {
  IMPRESSION_CLASSES,
  VERDICT_OF_CLASS,
  checkModel,
  evaluateModel,
  verdictOf,
  type ImpressionClass,
} from "./quality-model.js";
import { slapReport } from "./slap-report.js";
import {
  cropImage,
  FOUR_FINGERS,
  SLAP_MIN_SIDE,
  segmentSlap,
  type FingerBox,
} from "./slap-segmentation.js";
import type { ConditionVerdict, FeedbackCode } from "./verdict.js";

/** ISO/IEC 29794-4 measures under NIST's names, then the condition features. */
export type QualityMeasures = Readonly<
  Partial<Record<Iso29794Key | keyof ConditionFeatures, number>>
>;

/** One finger of a slap, judged on its own as a single-finger image. */
export interface FingerQuality {
  /** Where the finger is in the slap; its judgement is of these pixels alone. */
  readonly box: FingerBox;
  readonly score: number;
  readonly condition: ConditionVerdict;
  readonly confidence: number;
  readonly feedback: readonly FeedbackCode[];
  readonly measures: QualityMeasures;
}

export interface QualityReport {
  /** 0-100 integer, higher is better: 100 times one minus the expected severity. */
  readonly score: number;
  readonly condition: ConditionVerdict;
  /** Probability the model gives the condition, 0..1. */
  readonly confidence: number;
  /** What to tell the traveller, most useful first; empty for a good print. */
  readonly feedback: readonly FeedbackCode[];
  readonly measures: QualityMeasures;
  /** Which measures and model produced the figures: scores of other versions don't compare. */
  readonly version: string;
  /**
   * A slap's fingers, left to right, each judged alone (see slap-report.ts for how the
   * slap's own figures follow from them). Absent for a single-finger image.
   */
  readonly fingers?: readonly FingerQuality[];
}

export interface AssessOptions {
  /**
   * Fingers a slap should show: 4 for a four-finger slap (the default), 2 for both thumbs.
   * A slap showing fewer scores 0. Single-finger images ignore it.
   */
  readonly expectedFingers?: number;
}

export const QUALITY_VERSION = `${ISO29794_MEASURES_VERSION}+${CALIBRATED_MODEL.version}`;
/** A slap's figures come from its fingers' since this version, not from the whole platen. */
export const SLAP_QUALITY_VERSION = `${QUALITY_VERSION}+slap-by-finger-1`;

checkModel(CALIBRATED_MODEL);

/** Advice per class, most useful first (see verdict.ts for what each code means). */
const ADVICE: Readonly<Record<ImpressionClass, readonly FeedbackCode[]>> = {
  good: [],
  wet: ["wipe-finger"],
  oily: ["wipe-finger"],
  dry: ["moisten-finger", "press-firmly"],
  worn: ["press-firmly", "moisten-finger"],
  partial: ["centre-finger"],
  "light-pressure": ["press-firmly"],
  "heavy-pressure": ["press-lighter"],
  smudge: ["hold-still"],
  latent: ["clean-sensor"],
  noise: ["clean-sensor", "lift-and-place-again"],
  "no-finger": ["place-finger"],
};
/** A runner-up class this likely adds its advice after the verdict's own. */
const SECOND_OPINION = 0.25;

function noFinger(): QualityReport {
  return {
    score: 0,
    condition: "no-finger",
    confidence: 1,
    feedback: ADVICE["no-finger"],
    measures: {},
    version: QUALITY_VERSION,
  };
}

/**
 * Grey-level spread (2nd to 98th percentile) below which nothing on the platen has any
 * structure: an empty sensor, or one saturated black or white. Sensor noise alone spans
 * about 10 levels; the faintest print the calibration set holds spans over 40.
 */
const STRUCTURELESS_SPREAD = 16;

/**
 * Scores one 500 ppi 8-bit image and says what spoiled it. An image with no finger
 * area to measure (an empty platen, a sliver) is a no-finger verdict with score 0;
 * input that is not an image the measures accept throws Iso29794InputError. An image
 * with a side of SLAP_MIN_SIDE or more is a slap: its fingers are found and each is
 * judged alone, as NFIQ 2 defines its measures for single fingers.
 */
export function assessQuality(image: GreyImage, options: AssessOptions = {}): QualityReport {
  if (image.width > SIDE_RANGE.max || image.height > SIDE_RANGE.max) {
    throw new ImageFileError(
      "out-of-range",
      `image is ${image.width}x${image.height}; the measures take sides up to ${SIDE_RANGE.max}`,
    );
  }
  const { expectedFingers = FOUR_FINGERS } = options;
  if (!Number.isInteger(expectedFingers) || expectedFingers < 1 || expectedFingers > FOUR_FINGERS) {
    throw new RangeError(`expectedFingers must be 1 to ${FOUR_FINGERS}, got ${expectedFingers}`);
  }
  if (image.width >= SLAP_MIN_SIDE || image.height >= SLAP_MIN_SIDE) {
    return assessSlap(image, expectedFingers);
  }
  return assessFinger(image);
}

/**
 * A slap, finger by finger: each finger's box is cropped and judged as a single-finger
 * image would be, and the slap's figures follow from its fingers'.
 */
function assessSlap(image: GreyImage, expectedFingers: number): QualityReport {
  validateImage(image);
  const fingers = segmentSlap(image, expectedFingers).map((box): FingerQuality => {
    const { score, condition, confidence, feedback, measures } = assessFinger(
      cropImage(image, box),
    );
    return { box, score, condition, confidence, feedback, measures };
  });
  if (fingers.length === 0) return { ...noFinger(), version: SLAP_QUALITY_VERSION, fingers };
  return slapReport(fingers, expectedFingers, SLAP_QUALITY_VERSION);
}

/** The judgement of a single-finger image (see assessQuality). */
function assessFinger(image: GreyImage): QualityReport {
  let iso;
  try {
    iso = measureIso29794(image);
  } catch (error) {
    if (
      error instanceof Iso29794InputError &&
      (error.problem === "blank" ||
        (error.problem === "too-small" && image.width >= MIN_SIDE && image.height >= MIN_SIDE))
    ) {
      return noFinger();
    }
    throw error;
  }
  const survey = surveyImage(image);
  const [low = 0, platen = 255] = surveyLevels(survey, [0.02, 0.98]);
  if (platen - low < STRUCTURELESS_SPREAD) return noFinger();
  const conditionFeatures = measureConditionFeatures(image, platen, survey);
  const output = evaluateModel(CALIBRATED_MODEL, featureVector(iso, conditionFeatures));

  const { condition, confidence } = verdictOf(output.probabilities);

  const ranked = IMPRESSION_CLASSES.filter((name) => name !== "good").sort(
    (a, b) => output.probabilities[b] - output.probabilities[a],
  );
  const feedback = new Set<FeedbackCode>();
  if (condition !== "good") {
    const own = ranked.find((name) => VERDICT_OF_CLASS[name] === condition);
    for (const code of own === undefined ? [] : ADVICE[own]) feedback.add(code);
    for (const name of ranked) {
      if (output.probabilities[name] < SECOND_OPINION) break;
      for (const code of ADVICE[name]) feedback.add(code);
    }
  }
  return {
    score: Math.round(100 * (1 - output.expectedSeverity)),
    condition,
    confidence,
    feedback: [...feedback],
    measures: { ...iso.values, ...conditionFeatures },
    version: QUALITY_VERSION,
  };
}
