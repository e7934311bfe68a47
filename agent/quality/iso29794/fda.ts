import { SLANTED_ACROSS, SLANTED_ALONG, type SlantedBlockGrid } from "./block-geometry.js";
import { sampleGridBlock, slantedSamples } from "./slanted-block.js";
import { ValueList, type HistogramFeature } from "./histogram.js";
import type { Plane } from "./prepare.js";

/** NFIQ 2 FDAHISTLIMITS: inner bin boundaries of the FDA histogram. */
const FDA_BOUNDARIES = [0.268, 0.304, 0.33, 0.355, 0.38, 0.407, 0.44, 0.5, 1] as const;
/** Weight of the two spectral lines beside the dominant one (NFIQ 2 fda, ISO/IEC 29794-4). */
const NEIGHBOUR_WEIGHT = 0.3;
/** The signature is 32 samples long, a size OpenCV's DFT takes without padding. */
const N = SLANTED_ACROSS;

/** Lines 1..N/2 suffice: a real signal's spectrum mirrors about N/2. */
const LINES = N / 2;
/** cos and sin of 2 pi k n / N for k = 1..LINES (row k - 1) and n = 1..N/2 - 1. */
const COS = new Float64Array(LINES * LINES);
const SIN = new Float64Array(LINES * LINES);
for (let k = 1; k <= LINES; k++) {
  for (let n = 1; n < LINES; n++) {
    const phase = (2 * Math.PI * ((k * n) % N)) / N;
    COS[(k - 1) * LINES + n] = Math.cos(phase);
    SIN[(k - 1) * LINES + n] = Math.sin(phase);
  }
}

/** Rotated a further quarter turn, the ridges run across the rows: 32 rows x 16 columns. */
const SHAPE = {
  pad: true,
  rows: SLANTED_ACROSS,
  columns: SLANTED_ALONG,
  turn: Math.PI / 2,
} as const;

class Scratch {
  readonly samples = slantedSamples();
  readonly signature = new Float64Array(N);
  /** Sums and differences of samples n and N - n, for n = 1..N/2 - 1. */
  readonly even = new Float64Array(LINES);
  readonly odd = new Float64Array(LINES);
  /** Magnitudes of DFT lines 1..N-1 (the DC line is left out). */
  readonly amplitude = new Float64Array(N - 1);
}

/** Frequency-domain quality of one block: dominance of the ridge frequency in its spectrum. */
/**
 * Magnitudes of DFT lines 1..N-1 of `signature` into `amplitude`. Samples n and N - n share
 * their cosines and negate their sines, so each line takes half the products, and line
 * N - k has line k's magnitude. The tables come in as arguments, which V8 keeps in
 * registers where it reloads module-level arrays on every access.
 */
function spectrum(
  signature: Float64Array,
  even: Float64Array,
  odd: Float64Array,
  cos: Float64Array,
  sin: Float64Array,
  amplitude: Float64Array,
): void {
  for (let n = 1; n < LINES; n++) {
    even[n] = (signature[n] as number) + (signature[N - n] as number);
    odd[n] = (signature[n] as number) - (signature[N - n] as number);
  }
  const first = signature[0] as number;
  const middle = signature[LINES] as number;
  for (let k = 1; k <= LINES; k++) {
    let re = first + (k % 2 === 0 ? middle : -middle);
    let im = 0;
    const base = (k - 1) * LINES;
    for (let n = 1; n < LINES; n++) {
      re += (even[n] as number) * (cos[base + n] as number);
      im -= (odd[n] as number) * (sin[base + n] as number);
    }
    const magnitude = Math.sqrt(re * re + im * im);
    amplitude[k - 1] = magnitude;
    amplitude[N - k - 1] = magnitude;
  }
}

function frequencyDomainQuality(
  plane: Plane,
  grid: SlantedBlockGrid,
  index: number,
  s: Scratch,
): number {
  sampleGridBlock(plane, grid, index, SHAPE, "rows", false, s.samples);
  for (let r = 0; r < SHAPE.rows; r++) {
    s.signature[r] = (s.samples.rowSums[r] as number) / SHAPE.columns;
  }
  spectrum(s.signature, s.even, s.odd, COS, SIN, s.amplitude);
  let peak = 0;
  let peakAt = 0;
  for (let i = 0; i < N - 1; i++) {
    const magnitude = s.amplitude[i] as number;
    if (magnitude > peak) {
      peak = magnitude;
      peakAt = i;
    }
  }
  // A peak on either end of the spectrum has no two neighbours; NFIQ 2 scores it 1.
  if (peakAt === 0 || peakAt + 1 >= N - 1) return 1;
  let denominator = 0;
  const halfLines = Math.floor((N - 1) / 2);
  for (let i = 0; i < halfLines; i++) denominator += s.amplitude[i] ?? 0;
  const neighbours = (s.amplitude[peakAt - 1] ?? 0) + (s.amplitude[peakAt + 1] ?? 0);
  return (peak + NEIGHBOUR_WEIGHT * neighbours) / denominator;
}

/**
 * Frequency domain analysis (ISO/IEC 29794-4 FDA; NFIQ 2 FDAFeature) of every foreground
 * block: the grey-level signature across the ridges, and how much of its spectrum the
 * dominant ridge frequency holds. Blocks are added one at a time.
 */
export class FdaMeasure {
  private readonly scratch = new Scratch();
  private readonly values: ValueList;

  constructor(blocks: number) {
    this.values = new ValueList(blocks);
  }

  add(plane: Plane, grid: SlantedBlockGrid, index: number): void {
    this.values.push(frequencyDomainQuality(plane, grid, index, this.scratch));
  }

  histogram(): HistogramFeature {
    return this.values.histogram(FDA_BOUNDARIES);
  }
}
