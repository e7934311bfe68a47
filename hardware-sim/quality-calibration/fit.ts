import { sigmoid, softmax } from "../../agent/quality/quality-model.js";

/** Standardised design matrix: rows of inputs, each row's last column the bias 1. */
export interface Design {
  readonly rows: readonly Float64Array[];
  readonly width: number;
}

export interface FitOptions {
  readonly iterations: number;
  /** L2 penalty on the weights (not the bias): keeps the model smooth and explainable. */
  readonly l2: number;
  readonly learningRate: number;
}

/** Adam on one flat parameter vector, the usual constants. */
class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private step = 0;
  constructor(
    size: number,
    private readonly rate: number,
  ) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  update(parameters: Float64Array, gradient: Float64Array): void {
    this.step++;
    const correction1 = 1 - 0.9 ** this.step;
    const correction2 = 1 - 0.999 ** this.step;
    for (let i = 0; i < parameters.length; i++) {
      const g = gradient[i] ?? 0;
      this.m[i] = 0.9 * (this.m[i] ?? 0) + 0.1 * g;
      this.v[i] = 0.999 * (this.v[i] ?? 0) + 0.001 * g * g;
      parameters[i] =
        (parameters[i] ?? 0) -
        (this.rate * ((this.m[i] ?? 0) / correction1)) /
          (Math.sqrt((this.v[i] ?? 0) / correction2) + 1e-8);
    }
  }
}

function addPenalty(
  gradient: Float64Array,
  weights: Float64Array,
  width: number,
  l2: number,
): void {
  for (let i = 0; i < weights.length; i++) {
    if (i % width !== width - 1) gradient[i] = (gradient[i] ?? 0) + l2 * (weights[i] ?? 0);
  }
}

/**
 * Multinomial logistic regression: one weight row per class, fitted by full-batch Adam on
 * the mean cross-entropy. `sampleWeights` balances classes of unequal size.
 */
export function fitSoftmax(
  design: Design,
  labels: readonly number[],
  classes: number,
  sampleWeights: readonly number[],
  options: FitOptions,
): number[][] {
  const { rows, width } = design;
  const weights = new Float64Array(classes * width);
  const adam = new Adam(weights.length, options.learningRate);
  const gradient = new Float64Array(weights.length);
  const totalWeight = sampleWeights.reduce((a, b) => a + b, 0);
  for (let iteration = 0; iteration < options.iterations; iteration++) {
    gradient.fill(0);
    rows.forEach((row, n) => {
      const logits = Array.from({ length: classes }, (_, c) => {
        let sum = 0;
        for (let j = 0; j < width; j++) sum += (weights[c * width + j] ?? 0) * (row[j] ?? 0);
        return sum;
      });
      const probabilities = softmax(logits);
      const w = (sampleWeights[n] ?? 1) / totalWeight;
      for (let c = 0; c < classes; c++) {
        const error = w * ((probabilities[c] ?? 0) - (labels[n] === c ? 1 : 0));
        for (let j = 0; j < width; j++) {
          gradient[c * width + j] = (gradient[c * width + j] ?? 0) + error * (row[j] ?? 0);
        }
      }
    });
    addPenalty(gradient, weights, width, options.l2);
    adam.update(weights, gradient);
  }
  return Array.from({ length: classes }, (_, c) =>
    Array.from(weights.subarray(c * width, (c + 1) * width)),
  );
}

/** Logistic regression on targets in [0, 1] (soft labels), by the same method. */
export function fitLogistic(
  design: Design,
  targets: readonly number[],
  options: FitOptions,
): number[] {
  const { rows, width } = design;
  const weights = new Float64Array(width);
  const adam = new Adam(width, options.learningRate);
  const gradient = new Float64Array(width);
  for (let iteration = 0; iteration < options.iterations; iteration++) {
    gradient.fill(0);
    rows.forEach((row, n) => {
      let sum = 0;
      for (let j = 0; j < width; j++) sum += (weights[j] ?? 0) * (row[j] ?? 0);
      const error = (sigmoid(sum) - (targets[n] ?? 0)) / rows.length;
      for (let j = 0; j < width; j++) gradient[j] = (gradient[j] ?? 0) + error * (row[j] ?? 0);
    });
    addPenalty(gradient, weights, width, options.l2);
    adam.update(weights, gradient);
  }
  return Array.from(weights);
}
