import type { GreyImage } from "../../drivers/sensor.js";
import { levelsInHistogram } from "./grey-levels.js";

/** Side of the blocks the condition features judge (see condition-features.ts). */
export const SURVEY_BLOCK = 16;

/**
 * What the condition features and the grey-level checks read from an image, taken row by
 * row in one sweep: block sums and the histogram share one read of each pixel, and the
 * Laplacian and gradient products a second while the rows are still in cache. Every sum
 * is of integers, exact, so the figures do not depend on the order of summing.
 */
export interface ImageSurvey {
  /** Whole SURVEY_BLOCK blocks per row and rows of them; pixels beyond are in no block. */
  readonly blockColumns: number;
  readonly blockRows: number;
  /** Per block, row-major: sum of grey levels and of their squares. */
  readonly blockSums: Int32Array;
  readonly blockSquares: Int32Array;
  /** Pixels per grey level. */
  readonly histogram: Int32Array;
  /** Over the pixels with four neighbours: sum of the absolute 4-neighbour Laplacian. */
  readonly laplacian: number;
  /** Over the same pixels, sums of gx^2, gy^2 and gx*gy, gradients by central differences. */
  readonly gxx: number;
  readonly gyy: number;
  readonly gxy: number;
}

/** Running sums of the Laplacian and gradient products (see gradientRow). */
const totals = { laplacian: 0, gxx: 0, gyy: 0, gxy: 0 };

/**
 * Adds the absolute Laplacian and gradient products of the inner pixels of row `y` to
 * `totals`. A row's sums fit 32 bits (at most 1020 a pixel for the Laplacian, 65025 for a
 * product), so they build up in integer registers.
 */
function gradientRow(pixels: Uint8Array, width: number, y: number): void {
  const row = y * width;
  let laplacian = 0;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  let left = pixels[row] as number;
  let centre = pixels[row + 1] as number;
  const end = row + width - 1;
  for (let i = row + 1; i < end; i++) {
    const right = pixels[i + 1] as number;
    const up = pixels[i - width] as number;
    const down = pixels[i + width] as number;
    // Absolute value without a branch, which the sign of a Laplacian would mispredict.
    const laplace = 4 * centre - left - right - up - down;
    const sign = laplace >> 31;
    laplacian += (laplace ^ sign) - sign;
    const gx = right - left;
    const gy = down - up;
    xx += gx * gx;
    yy += gy * gy;
    xy += gx * gy;
    left = centre;
    centre = right;
  }
  totals.laplacian += laplacian;
  totals.gxx += xx;
  totals.gyy += yy;
  totals.gxy += xy;
}

/**
 * Counts pixels [from, to) of the image into the histogram lanes: four of 256, pixel i in
 * lane i % 4, so that neighbours of one grey level do not wait on each other's increment.
 */
function countPixels(pixels: Uint8Array, from: number, to: number, counts: Int32Array): void {
  for (let i = from; i < to; i++) {
    const slot = ((i & 3) << 8) | (pixels[i] as number);
    counts[slot] = (counts[slot] as number) + 1;
  }
}

/**
 * Sums and sums of squares of row `y`'s whole blocks, added to the blocks from `blockAt`,
 * and its pixels counted into the histogram lanes, four at a time.
 */
function blockRow(
  pixels: Uint8Array,
  width: number,
  y: number,
  blockAt: number,
  columns: number,
  sums: Int32Array,
  squares: Int32Array,
  counts: Int32Array,
): void {
  let i = y * width;
  for (let bx = 0; bx < columns; bx++) {
    let sum = 0;
    let sumSquares = 0;
    for (const end = i + SURVEY_BLOCK; i < end; i += 4) {
      const a = pixels[i] as number;
      const b = pixels[i + 1] as number;
      const c = pixels[i + 2] as number;
      const d = pixels[i + 3] as number;
      sum += a + b + c + d;
      sumSquares += a * a + b * b + c * c + d * d;
      counts[a] = (counts[a] as number) + 1;
      counts[256 + b] = (counts[256 + b] as number) + 1;
      counts[512 + c] = (counts[512 + c] as number) + 1;
      counts[768 + d] = (counts[768 + d] as number) + 1;
    }
    sums[blockAt + bx] = (sums[blockAt + bx] as number) + sum;
    squares[blockAt + bx] = (squares[blockAt + bx] as number) + sumSquares;
  }
  countPixels(pixels, i, (y + 1) * width, counts);
}

export function surveyImage(image: GreyImage): ImageSurvey {
  const { width, height, pixels } = image;
  const blockColumns = Math.floor(width / SURVEY_BLOCK);
  const blockRows = Math.floor(height / SURVEY_BLOCK);
  const blockSums = new Int32Array(blockColumns * blockRows);
  const blockSquares = new Int32Array(blockColumns * blockRows);
  const counts = new Int32Array(4 * 256);
  totals.laplacian = 0;
  totals.gxx = 0;
  totals.gyy = 0;
  totals.gxy = 0;
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / SURVEY_BLOCK);
    if (row < blockRows) {
      const at = row * blockColumns;
      blockRow(pixels, width, y, at, blockColumns, blockSums, blockSquares, counts);
    } else {
      countPixels(pixels, y * width, (y + 1) * width, counts);
    }
    if (y > 0 && y < height - 1) gradientRow(pixels, width, y);
  }
  const histogram = new Int32Array(256);
  for (let level = 0; level < 256; level++) {
    histogram[level] =
      (counts[level] as number) +
      (counts[256 + level] as number) +
      (counts[512 + level] as number) +
      (counts[768 + level] as number);
  }
  return {
    blockColumns,
    blockRows,
    blockSums,
    blockSquares,
    histogram,
    laplacian: totals.laplacian,
    gxx: totals.gxx,
    gyy: totals.gyy,
    gxy: totals.gxy,
  };
}

/** Grey levels at the given fractions of the surveyed pixels (0.98: the 98th percentile). */
export function surveyLevels(survey: ImageSurvey, fractions: readonly number[]): number[] {
  let pixels = 0;
  for (const count of survey.histogram) pixels += count;
  return levelsInHistogram(survey.histogram, pixels, fractions);
}
