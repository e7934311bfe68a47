import { FEATURE_NAMES, type FeatureVector } from "../../agent/quality/feature-vector.js";
import {
  IMPRESSION_CLASSES,
  classProbabilities,
  standardise,
  verdictOf,
  withSquares,
  type DegradingClass,
  type ImpressionClass,
  type QualityModel,
} from "../../agent/quality/quality-model.js";
import { fitLogistic, fitSoftmax, type Design, type FitOptions } from "./fit.js";
import type { LabelledSample } from "./labelled-set.js";

/**
 * Severity from which a condition is the label, and up to which a print still counts as
 * good. Between the two the truth is arguable (a slightly damp finger), so those prints
 * teach the severity estimates but not the classifier.
 */
export const CONDITION_FROM_SEVERITY = 0.35;
export const GOOD_UP_TO_SEVERITY = 0.1;

const CLASSIFIER_FIT: FitOptions = { iterations: 3000, l2: 2e-4, learningRate: 0.03 };
const SEVERITY_FIT: FitOptions = { iterations: 3000, l2: 1e-4, learningRate: 0.03 };

export const MODEL_VERSION = "basma-quality-model-1";

/**
 * Share of the calibration set's clean prints the model may call anything but good. A
 * flag costs the traveller a needless retry, so the good class's bias is raised until
 * no more than this share is flagged, well inside the requirement (5 %).
 */
const CLEAN_FLAG_BUDGET = 0.015;

type MeasuredSample = LabelledSample & { readonly features: FeatureVector };

export function classOf(sample: LabelledSample): ImpressionClass | undefined {
  if (sample.kind === undefined || sample.severity <= GOOD_UP_TO_SEVERITY) return "good";
  return sample.severity >= CONDITION_FROM_SEVERITY ? sample.kind : undefined;
}

function standardisation(samples: readonly MeasuredSample[]): {
  centre: number[];
  scale: number[];
} {
  const centre = FEATURE_NAMES.map(
    (name) => samples.reduce((sum, s) => sum + s.features[name], 0) / samples.length,
  );
  const scale = FEATURE_NAMES.map((name, i) => {
    const mean = centre[i] ?? 0;
    const variance =
      samples.reduce((sum, s) => sum + (s.features[name] - mean) ** 2, 0) / samples.length;
    return Math.max(Math.sqrt(variance), 1e-6);
  });
  return { centre, scale };
}

function designOf(
  samples: readonly MeasuredSample[],
  centre: readonly number[],
  scale: readonly number[],
  squares = false,
): Design {
  const rows = samples.map((sample) => {
    const inputs = standardise({ centre, scale }, sample.features);
    const expanded = squares ? withSquares(inputs) : inputs;
    const row = new Float64Array(expanded.length + 1);
    row.set(expanded);
    row[expanded.length] = 1;
    return row;
  });
  return { rows, width: (squares ? 2 : 1) * FEATURE_NAMES.length + 1 };
}

/** Fits the classifier and the per-class severity estimates on a labelled set. */
export function calibrateModel(samples: readonly LabelledSample[]): QualityModel {
  const measured = samples.filter((s): s is MeasuredSample => s.features !== undefined);
  const { centre, scale } = standardisation(measured);

  const labelled = measured.filter((s) => classOf(s) !== undefined);
  const labels = labelled.map((s) => IMPRESSION_CLASSES.indexOf(classOf(s) as ImpressionClass));
  const counts = IMPRESSION_CLASSES.map((_, c) => labels.filter((l) => l === c).length);
  // Each class weighs the same in total, however many prints it has.
  const weights = labels.map((label) => 1 / Math.max(1, counts[label] ?? 1));
  const classWeights = fitSoftmax(
    designOf(labelled, centre, scale),
    labels,
    IMPRESSION_CLASSES.length,
    weights,
    CLASSIFIER_FIT,
  );

  raiseGoodBias(
    classWeights,
    designOf(
      measured.filter((s) => s.kind === undefined),
      centre,
      scale,
    ),
  );

  const severityWeights = {} as Record<DegradingClass, number[]>;
  for (const kind of IMPRESSION_CLASSES) {
    if (kind === "good") continue;
    const relevant = measured.filter((s) => s.kind === undefined || s.kind === kind);
    severityWeights[kind] = fitLogistic(
      designOf(relevant, centre, scale, true),
      relevant.map((s) => s.severity),
      SEVERITY_FIT,
    );
  }
  return {
    version: MODEL_VERSION,
    features: FEATURE_NAMES,
    centre,
    scale,
    classWeights,
    severityWeights,
  };
}

function flaggedShare(classWeights: readonly number[][], clean: Design): number {
  const flagged = clean.rows.filter((row) => {
    // The design row ends with the bias input; the model's rows keep the bias as a weight.
    const inputs = row.subarray(0, row.length - 1);
    return verdictOf(classProbabilities(classWeights, inputs)).condition !== "good";
  });
  return flagged.length / Math.max(1, clean.rows.length);
}

/** Raises the good class's bias in steps of 0.1 until the clean prints meet the budget. */
function raiseGoodBias(classWeights: number[][], clean: Design): void {
  const row = classWeights[IMPRESSION_CLASSES.indexOf("good")] as number[];
  const bias = row.length - 1;
  for (let step = 0; step < 50 && flaggedShare(classWeights, clean) > CLEAN_FLAG_BUDGET; step++) {
    row[bias] = (row[bias] ?? 0) + 0.1;
  }
}

function numbers(values: readonly number[]): string {
  return `[${values.map((v) => Number(v.toPrecision(6))).join(", ")}]`;
}

/** The model as a TypeScript module, so it ships inside the build with its provenance. */
export function renderModelModule(model: QualityModel, provenance: string): string {
  const severityRows = Object.entries(model.severityWeights)
    .map(([kind, row]) => `    ${JSON.stringify(kind)}: ${numbers(row)},`)
    .join("\n");
  return [
    "// Generated by `basma-sim calibrate-quality`; do not edit. See docs/quality-model.md.",
    `// ${provenance}`,
    'import type { QualityModel } from "./quality-model.js";',
    "",
    "export const CALIBRATED_MODEL: QualityModel = {",
    `  version: ${JSON.stringify(model.version)},`,
    `  features: ${JSON.stringify(model.features)},`,
    `  centre: ${numbers(model.centre)},`,
    `  scale: ${numbers(model.scale)},`,
    "  classWeights: [",
    ...model.classWeights.map((row) => `    ${numbers(row)},`),
    "  ],",
    "  severityWeights: {",
    severityRows,
    "  },",
    "};",
    "",
  ].join("\n");
}
