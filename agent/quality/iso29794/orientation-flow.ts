import {
  SLANTED_WINDOW,
  SegmentationMask,
  gradientCovariance,
  ridgeOrientation,
} from "./block-geometry.js";
import { ValueList, type HistogramFeature } from "./histogram.js";
import type { Plane } from "./prepare.js";

/** NFIQ 2 OFHISTLIMITS: inner bin boundaries of the OF histogram. */
const OF_BOUNDARIES = [
  1.715e-2, 3.5e-2, 5.57e-2, 8.1e-2, 1.15e-1, 1.718e-1, 2.569e-1, 4.758e-1, 7.48e-1,
] as const;
/**
 * Block size, also used for its ridge segmentation. Older NFIQ 2 sources set 16; NFIQ 2.3,
 * which produced NIST's reference output, uses 32 (only 32 reproduces its OF histograms).
 */
const OF_BLOCK = 32;
/** Angle changes up to 4 degrees count as smooth flow (NFIQ 2 OFFeature angleMin). */
const ANGLE_MIN = (4 * Math.PI) / 180;
/** Scale of the score: the change from ANGLE_MIN to a right angle maps to 0..1. */
const ANGLE_RANGE = ((90 - 4) * Math.PI) / 180;

/**
 * Orientation flow (ISO/IEC 29794-4 OF; NFIQ 2 OFFeature): per 32x32 block, the mean
 * absolute difference of its ridge orientation from its eight neighbours. Blocks are
 * placed as NFIQ 2 places them for its 32x16 slanted window (2 pixels in); only blocks
 * whose whole 3x3 neighbourhood is foreground and whose change exceeds ANGLE_MIN count.
 */
export function measureOrientationFlow(plane: Plane): HistogramFeature {
  const mask = new SegmentationMask(plane, OF_BLOCK);
  const offset = Math.ceil((SLANTED_WINDOW - OF_BLOCK) / 2);
  const lastTop = plane.height - (OF_BLOCK + offset - 1);
  const lastLeft = plane.width - (OF_BLOCK + offset - 1);
  const rows = Math.max(0, Math.ceil((lastTop - offset) / OF_BLOCK));
  const columns = Math.max(0, Math.ceil((lastLeft - offset) / OF_BLOCK));
  // Padded by one block of background on every side, as NFIQ 2 pads with zeros.
  const stride = columns + 2;
  const orientation = new Float64Array(stride * (rows + 2));
  const foreground = new Uint8Array(stride * (rows + 2));
  const covariance = new Float64Array(3);
  for (let row = 0; row < rows; row++) {
    const top = offset + row * OF_BLOCK;
    for (let column = 0; column < columns; column++) {
      const left = offset + column * OF_BLOCK;
      const cell = (row + 1) * stride + column + 1;
      gradientCovariance(plane, left, top, OF_BLOCK, OF_BLOCK, covariance);
      orientation[cell] = ridgeOrientation(covariance);
      foreground[cell] = mask.covers(left, top, OF_BLOCK, OF_BLOCK) ? 1 : 0;
    }
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
