/** NFIQ 2 summarises each block measure as a 10-bin histogram plus mean and standard deviation. */
export const HISTOGRAM_BINS = 10;

export interface HistogramFeature {
  /** Block counts per bin; bin i holds values in [boundary i-1, boundary i). */
  readonly bins: readonly number[];
  readonly mean: number;
  /** Population standard deviation, as OpenCV's meanStdDev gives it. */
  readonly stdDev: number;
  /** Values the histogram was built from (blocks, or ratios for RVUP). */
  readonly count: number;
}

/**
 * Bins `count` values of `values` with the nine inner boundaries NFIQ 2 fixed per feature;
 * the last bin is open-ended. An empty input gives empty bins and a mean and deviation of 0.
 */
export function histogramFeature(
  values: Float64Array,
  count: number,
  boundaries: readonly number[],
): HistogramFeature {
  const bins: number[] = new Array<number>(HISTOGRAM_BINS).fill(0);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const value = values[i] ?? 0;
    sum += value;
    let bin = 0;
    while (bin < boundaries.length && value >= (boundaries[bin] ?? Infinity)) bin++;
    bins[bin] = (bins[bin] ?? 0) + 1;
  }
  if (count === 0) return { bins, mean: 0, stdDev: 0, count };
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < count; i++) {
    const deviation = (values[i] ?? 0) - mean;
    squares += deviation * deviation;
  }
  return { bins, mean, stdDev: Math.sqrt(squares / count), count };
}

/** A growable Float64Array, so per-block values are collected without boxing. */
export class ValueList {
  values: Float64Array;
  count = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(Math.max(16, capacity));
  }

  push(value: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = value;
  }

  histogram(boundaries: readonly number[]): HistogramFeature {
    return histogramFeature(this.values, this.count, boundaries);
  }
}
