import type { GreyImage } from "../../drivers/sensor.js";
import type { QualityAssessment, QualityMeasures } from "./quality-assessment.js";

/** Stored with every score, since scores from different measures are not comparable. */
export const QUALITY_MEASURE_VERSION = "block-contrast-1";

/** NFIQ 2's block size: at 500 ppi, 32 pixels span three to four ridges. */
const BLOCK_SIZE = 32;
/**
 * Grey-level standard deviation above which a block holds finger. An empty platen's
 * sensor noise stays below about 5 grey levels, ridges give 30 and more, so 10 keeps a
 * margin on both sides while still counting faint (dry) ridges.
 */
const FOREGROUND_STD_DEV = 10;
/** Foreground ratio earning full marks; see `combine`. */
const FULL_COVERAGE = 0.6;
/**
 * Normalised block contrast earning full marks: a standard deviation of 64 grey levels,
 * ridges and valleys spanning most of the grey range as in a clean optical capture.
 */
const FULL_CONTRAST = 0.5;
/** Ridge-valley clarity earning full marks: ridges on average 128 grey levels darker than valleys. */
const FULL_CLARITY = 0.5;

interface Totals {
  foregroundBlocks: number;
  stdDevSum: number;
  claritySum: number;
}

/** Adds one block's statistics to `totals` when the block holds finger. */
function measureBlock(image: GreyImage, left: number, top: number, totals: Totals): void {
  const { width, pixels } = image;
  let sum = 0;
  let sumOfSquares = 0;
  for (let y = top; y < top + BLOCK_SIZE; y++) {
    const rowStart = y * width;
    for (let x = left; x < left + BLOCK_SIZE; x++) {
      const value = pixels[rowStart + x] ?? 0;
      sum += value;
      sumOfSquares += value * value;
    }
  }
  const count = BLOCK_SIZE * BLOCK_SIZE;
  const mean = sum / count;
  const stdDev = Math.sqrt(Math.max(0, sumOfSquares / count - mean * mean));
  if (stdDev <= FOREGROUND_STD_DEV) return;

  // Valleys sit above the block mean and ridges below it; how far apart the two
  // populations lie says how cleanly a ridge can be told from a valley, which a
  // standard deviation inflated by a few outliers (dirt, a scratch) would not.
  let lightSum = 0;
  let lightCount = 0;
  for (let y = top; y < top + BLOCK_SIZE; y++) {
    const rowStart = y * width;
    for (let x = left; x < left + BLOCK_SIZE; x++) {
      const value = pixels[rowStart + x] ?? 0;
      if (value > mean) {
        lightSum += value;
        lightCount++;
      }
    }
  }
  const darkCount = count - lightCount;
  const separation =
    lightCount === 0 || darkCount === 0 ? 0 : lightSum / lightCount - (sum - lightSum) / darkCount;
  totals.foregroundBlocks++;
  totals.stdDevSum += stdDev;
  totals.claritySum += separation / 255;
}

/**
 * Why a product: each factor is necessary on its own. A sharp patch covering too little
 * of the platen holds too few minutiae to match, and a fully covered platen with flat
 * contrast has no ridges to find, so a weak factor must pull the score down however good
 * the others are. Coverage earns full marks at 60 % of the blocks, about what a flat,
 * centred fingertip covers on a single-finger sensor. A finger covering 40 % keeps two
 * thirds of its ridge score, so it clears an acceptance threshold of 40 only with good
 * ridges, and below 24 % nothing clears it. Contrast and clarity enter as a geometric
 * mean because they describe the same ridge signal from two sides. Every term is
 * non-decreasing in its measure, so the score is monotonic in each.
 */
function combine(measures: QualityMeasures): number {
  const coverage = Math.min(1, measures.foregroundRatio / FULL_COVERAGE);
  const contrast = Math.min(1, measures.meanBlockContrast / FULL_CONTRAST);
  const clarity = Math.min(1, measures.ridgeValleyClarity / FULL_CLARITY);
  return Math.round(100 * coverage * Math.sqrt(contrast * clarity));
}

/**
 * A first, simple finger-image quality measure from 32x32 block statistics: how much
 * of the image holds finger and how distinct its ridges are. Partial blocks at the
 * right and bottom edges are left out, as NFIQ 2 does.
 */
export function assessBlockQuality(image: GreyImage): QualityAssessment {
  const { width, height, pixels } = image;
  if (pixels.length < width * height) {
    throw new RangeError(
      `image has ${pixels.length} pixels, fewer than its ${width}x${height} dimensions need`,
    );
  }
  const columns = Math.floor(width / BLOCK_SIZE);
  const rows = Math.floor(height / BLOCK_SIZE);
  const blocks = columns * rows;
  const totals: Totals = { foregroundBlocks: 0, stdDevSum: 0, claritySum: 0 };
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      measureBlock(image, column * BLOCK_SIZE, row * BLOCK_SIZE, totals);
    }
  }
  const { foregroundBlocks } = totals;
  const measures: QualityMeasures = {
    foregroundRatio: blocks === 0 ? 0 : foregroundBlocks / blocks,
    meanBlockContrast: foregroundBlocks === 0 ? 0 : totals.stdDevSum / foregroundBlocks / 127.5,
    ridgeValleyClarity: foregroundBlocks === 0 ? 0 : totals.claritySum / foregroundBlocks,
    blocks,
    foregroundBlocks,
  };
  return { score: combine(measures), measures };
}
