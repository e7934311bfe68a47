import { FEATURE_NAMES, type FeatureName, type FeatureVector } from "./feature-vector.js";
import { CONDITION_VERDICTS, type ConditionVerdict } from "./verdict.js";

/**
 * Why a capture goes wrong at a border gate (see the domain brief). The print simulator
 * renders each of these at a severity from 0 to 1 and so labels the calibration set;
 * keeping the one list here keeps the model's classes and the simulator's conditions in
 * step (the simulator seeds each condition by its place in this list: append, never
 * reorder).
 */
export const DEGRADING_CLASSES = [
  "wet",
  "oily",
  "dry",
  "worn",
  "partial",
  "light-pressure",
  "heavy-pressure",
  "smudge",
  "latent",
  "noise",
  "no-finger",
] as const;
export type DegradingClass = (typeof DEGRADING_CLASSES)[number];

/**
 * What the model tells apart. Finer than the verdicts: oily and wet, dry and worn call for
 * different advice though the traveller is told the same condition, and residue on the
 * platen, sensor noise and a moving finger all show as "smudged" but only one is the
 * traveller's to fix.
 */
export const IMPRESSION_CLASSES = ["good", ...DEGRADING_CLASSES] as const;
export type ImpressionClass = (typeof IMPRESSION_CLASSES)[number];

export const VERDICT_OF_CLASS: Readonly<Record<ImpressionClass, ConditionVerdict>> = {
  good: "good",
  wet: "wet",
  oily: "wet",
  dry: "dry",
  worn: "dry",
  partial: "partial",
  "light-pressure": "too-light",
  "heavy-pressure": "too-heavy",
  smudge: "smudged",
  latent: "smudged",
  noise: "smudged",
  "no-finger": "no-finger",
};

/**
 * A calibrated model (see docs/quality-model.md). Inputs are standardised as
 * (x - centre) / scale; each weight row ends with its bias.
 */
export interface QualityModel {
  readonly version: string;
  readonly features: readonly FeatureName[];
  readonly centre: readonly number[];
  readonly scale: readonly number[];
  /** Softmax rows, one per IMPRESSION_CLASSES entry in that order. */
  readonly classWeights: readonly (readonly number[])[];
  /**
   * Logistic rows estimating how severe each degrading class is, 0..1, over the inputs
   * and their squares (see withSquares).
   */
  readonly severityWeights: Readonly<Record<DegradingClass, readonly number[]>>;
}

export interface ModelOutput {
  /** Probability of each class, summing to 1. */
  readonly probabilities: Readonly<Record<ImpressionClass, number>>;
  /** Expected severity: each degrading class's severity weighted by its probability. */
  readonly expectedSeverity: number;
}

/** Refuses a model whose feature list is not this build's, rather than misreading it. */
export function checkModel(model: QualityModel): void {
  const width = FEATURE_NAMES.length;
  const sameFeatures =
    model.features.length === width && model.features.every((f, i) => f === FEATURE_NAMES[i]);
  if (!sameFeatures) {
    throw new Error(`quality model ${model.version} was calibrated on another feature list`);
  }
  if (
    model.centre.length !== width ||
    model.scale.length !== width ||
    model.classWeights.length !== IMPRESSION_CLASSES.length ||
    model.classWeights.some((row) => row.length !== width + 1) ||
    Object.values(model.severityWeights).some((row) => row.length !== 2 * width + 1)
  ) {
    throw new Error(`quality model ${model.version} has weights of the wrong shape`);
  }
}

/**
 * The inputs followed by their squares. Severity grows on both sides of normal for some
 * inputs (a finger too dark is wet, too light is dry), which a sum of the inputs alone
 * cannot follow; the squares let each severity row bend once and stay a weighted sum.
 */
export function withSquares(inputs: Float64Array): Float64Array {
  const expanded = new Float64Array(2 * inputs.length);
  expanded.set(inputs);
  for (let i = 0; i < inputs.length; i++) expanded[inputs.length + i] = (inputs[i] ?? 0) ** 2;
  return expanded;
}

function dot(row: readonly number[], inputs: Float64Array): number {
  let sum = row[inputs.length] ?? 0;
  for (let i = 0; i < inputs.length; i++) sum += (row[i] ?? 0) * (inputs[i] ?? 0);
  return sum;
}

export function sigmoid(value: number): number {
  return 1 / (1 + Math.exp(-value));
}

export function softmax(logits: readonly number[]): number[] {
  const top = Math.max(...logits);
  const exps = logits.map((logit) => Math.exp(logit - top));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((value) => value / total);
}

/** Standardised inputs in model order; a feature more than 8 spreads out is clipped. */
export function standardise(
  model: Pick<QualityModel, "centre" | "scale">,
  vector: FeatureVector,
): Float64Array {
  const inputs = new Float64Array(FEATURE_NAMES.length);
  FEATURE_NAMES.forEach((name, i) => {
    const z = (vector[name] - (model.centre[i] ?? 0)) / (model.scale[i] ?? 1);
    inputs[i] = Math.max(-8, Math.min(8, Number.isFinite(z) ? z : 0));
  });
  return inputs;
}

/** Class probabilities from standardised inputs, in IMPRESSION_CLASSES order. */
export function classProbabilities(
  classWeights: readonly (readonly number[])[],
  inputs: Float64Array,
): Record<ImpressionClass, number> {
  const probabilities = softmax(classWeights.map((row) => dot(row, inputs)));
  return Object.fromEntries(
    IMPRESSION_CLASSES.map((name, i) => [name, probabilities[i] ?? 0]),
  ) as Record<ImpressionClass, number>;
}

/**
 * The verdict the traveller hears: the classes that mean the same to them are summed
 * (oily counts as wet), and the likeliest sum wins; on a tie the earlier verdict in
 * CONDITION_VERDICTS, so "good" keeps a tie.
 */
export function verdictOf(probabilities: Readonly<Record<ImpressionClass, number>>): {
  condition: ConditionVerdict;
  confidence: number;
} {
  const byVerdict = new Map<ConditionVerdict, number>(CONDITION_VERDICTS.map((v) => [v, 0]));
  for (const name of IMPRESSION_CLASSES) {
    const verdict = VERDICT_OF_CLASS[name];
    byVerdict.set(verdict, (byVerdict.get(verdict) ?? 0) + probabilities[name]);
  }
  const [condition, confidence] = [...byVerdict].reduce((best, entry) =>
    entry[1] > best[1] ? entry : best,
  );
  return { condition, confidence };
}

export function evaluateModel(model: QualityModel, vector: FeatureVector): ModelOutput {
  const inputs = standardise(model, vector);
  const probabilities = classProbabilities(model.classWeights, inputs);
  const severityInputs = withSquares(inputs);
  let expectedSeverity = 0;
  for (const name of IMPRESSION_CLASSES) {
    if (name === "good") continue;
    expectedSeverity +=
      probabilities[name] * sigmoid(dot(model.severityWeights[name], severityInputs));
  }
  return { probabilities, expectedSeverity };
}
