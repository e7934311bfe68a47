import type { SlantedBlockGrid } from "./block-geometry.js";
import { ValueList, type HistogramFeature } from "./histogram.js";

/** NFIQ 2 OFHISTLIMITS: inner bin boundaries of the OF histogram. */
const OF_BOUNDARIES = [
  1.715e-2, 3.5e-2, 5.57e-2, 8.1e-2, 1.15e-1, 1.718e-1, 2.569e-1, 4.758e-1, 7.48e-1,
] as const;
/** Angle changes up to 4 degrees count as smooth flow (NFIQ 2 OFFeature angleMin). */
const ANGLE_MIN = (4 * Math.PI) / 180;
/** Scale of the score: the change from ANGLE_MIN to a right angle maps to 0..1. */
const ANGLE_RANGE = ((90 - 4) * Math.PI) / 180;

/**
 * Orientation flow (ISO/IEC 29794-4 OF; NFIQ 2 OFFeature): per 32x32 block, the mean
 * absolute difference of its ridge orientation from its eight neighbours. NFIQ 2 places
 * these blocks, and segments them, exactly as the slanted-block grid does (2 pixels in, 32
 * pixels; older NFIQ 2 sources used 16, but only 32 reproduces NFIQ 2.3's OF histograms),
 * so the grid's orientations and foreground flags are reused. Only blocks whose whole 3x3
 * neighbourhood is foreground and whose change exceeds ANGLE_MIN count.
 */
export function measureOrientationFlow(grid: SlantedBlockGrid): HistogramFeature {
  const { rows, columns } = grid;
  // Padded by one block of background on every side, as NFIQ 2 pads with zeros.
  const stride = columns + 2;
  const orientation = new Float64Array(stride * (rows + 2));
  const foreground = new Uint8Array(stride * (rows + 2));
  for (let row = 0; row < rows; row++) {
    const cell = (row + 1) * stride + 1;
    const block = row * columns;
    orientation.set(grid.orientation.subarray(block, block + columns), cell);
    foreground.set(grid.foreground.subarray(block, block + columns), cell);
  }

  const values = new ValueList(rows * columns);
  for (let row = 1; row <= rows; row++) {
    for (let column = 1; column <= columns; column++) {
      const centre = row * stride + column;
      const angle = orientation[centre] ?? 0;
      let allForeground = true;
      let change = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const cell = centre + dy * stride + dx;
          if (foreground[cell] !== 1) allForeground = false;
          // Plain differences, without wrapping at +-90 degrees, as NFIQ 2 takes them.
          change += Math.abs(angle - (orientation[cell] ?? 0));
        }
      }
      change /= 8;
      if (allForeground && change > ANGLE_MIN) values.push((change - ANGLE_MIN) / ANGLE_RANGE);
    }
  }
  return values.histogram(OF_BOUNDARIES);
}
