import {
  SLANTED_ACROSS,
  SLANTED_ALONG,
  extractGridBlock,
  type SlantedBlockGrid,
} from "./block-geometry.js";
import { ValueList, type HistogramFeature } from "./histogram.js";
import type { Plane } from "./prepare.js";

/** NFIQ 2 FDAHISTLIMITS: inner bin boundaries of the FDA histogram. */
const FDA_BOUNDARIES = [0.268, 0.304, 0.33, 0.355, 0.38, 0.407, 0.44, 0.5, 1] as const;
/** Weight of the two spectral lines beside the dominant one (NFIQ 2 fda, ISO/IEC 29794-4). */
const NEIGHBOUR_WEIGHT = 0.3;
/** The signature is 32 samples long, a size OpenCV's DFT takes without padding. */
const N = SLANTED_ACROSS;

const COS = new Float64Array(N * N);
const SIN = new Float64Array(N * N);
for (let k = 0; k < N; k++) {
  for (let n = 0; n < N; n++) {
    const phase = (-2 * Math.PI * ((k * n) % N)) / N;
    COS[k * N + n] = Math.cos(phase);
    SIN[k * N + n] = Math.sin(phase);
  }
}

class Scratch {
  readonly block = new Uint8Array(SLANTED_ACROSS * SLANTED_ALONG);
  readonly signature = new Float64Array(N);
  /** Magnitudes of DFT lines 1..N-1 (the DC line is left out). */
  readonly amplitude = new Float64Array(N - 1);
}

/** Frequency-domain quality of one block: dominance of the ridge frequency in its spectrum. */
function frequencyDomainQuality(
  plane: Plane,
  grid: SlantedBlockGrid,
  index: number,
  s: Scratch,
): number {
  // Rotated a further quarter turn, the ridges run across the rows: 32 rows x 16 columns.
  const rows = SLANTED_ACROSS;
  const columns = SLANTED_ALONG;
  extractGridBlock(plane, grid, index, { pad: true, rows, columns, turn: Math.PI / 2 }, s.block);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < columns; c++) sum += s.block[r * columns + c] as number;
    s.signature[r] = sum / columns;
  }
  let peak = 0;
  let peakAt = 0;
  for (let k = 1; k < N; k++) {
    let re = 0;
    let im = 0;
    const base = k * N;
    for (let n = 0; n < N; n++) {
      const value = s.signature[n] as number;
      re += value * (COS[base + n] as number);
      im += value * (SIN[base + n] as number);
    }
    const magnitude = Math.sqrt(re * re + im * im);
    s.amplitude[k - 1] = magnitude;
    if (magnitude > peak) {
      peak = magnitude;
      peakAt = k - 1;
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
 * dominant ridge frequency holds.
 */
export function measureFda(plane: Plane, grid: SlantedBlockGrid): HistogramFeature {
  const scratch = new Scratch();
  const values = new ValueList(grid.count);
  for (let i = 0; i < grid.count; i++) {
    if (grid.foreground[i] === 1) values.push(frequencyDomainQuality(plane, grid, i, scratch));
  }
  return values.histogram(FDA_BOUNDARIES);
}
