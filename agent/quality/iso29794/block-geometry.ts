import type { Plane } from "./prepare.js";

/** NFIQ 2's block size for the block features: at 500 ppi, 32 pixels span three to four ridges. */
export const BLOCK_SIZE = 32;
/**
 * Ridge segmentation threshold: a block is foreground when its grey-level standard
 * deviation exceeds 0.1 of the whole image's (NFIQ 2 ridgesegment, threshold 0.1 in the
 * LCS, FDA, RVUP and OF feature classes).
 */
export const SEGMENTATION_THRESHOLD = 0.1;
/** The slanted window NFIQ 2 cuts out along the ridges: 32 across, 16 along (v1sz). */
export const SLANTED_ACROSS = 32;
export const SLANTED_ALONG = 16;
/**
 * Side of the window that still holds the slanted 32x16 window at any angle:
 * ceil(sqrt(32^2 + 16^2)) = 36, i.e. a 2-pixel border around each 32x32 block.
 */
export const SLANTED_WINDOW = Math.ceil(Math.hypot(SLANTED_ACROSS, SLANTED_ALONG));

/** Mean squared centred-difference gradients of a block: [gx^2, gy^2, gx*gy]. */
export type GradientCovariance = Float64Array;

/**
 * Fills `out` with the mean of gx^2, gy^2 and gx*gy over the block, gradients by central
 * differences inside and one-sided differences on the block's edges (NFIQ 2 covcoef with
 * CENTERED_DIFFERENCES, and the OCL feature's numerical gradient: both Matlab's gradient()).
 */
export function gradientCovariance(
  plane: Plane,
  left: number,
  top: number,
  width: number,
  height: number,
  out: GradientCovariance,
): void {
  const { pixels } = plane;
  const stride = plane.width;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  const last = width - 1;
  // Edge columns take one-sided differences (scale 1), inner ones central (scale 0.5).
  const edgeScale = width === 1 ? 0 : 1;
  for (let y = 0; y < height; y++) {
    const row = (top + y) * stride + left;
    const up = y === 0 ? 0 : -stride;
    const down = y === height - 1 ? 0 : stride;
    const yScale = height === 1 ? 0 : up === 0 || down === 0 ? 1 : 0.5;
    for (let x = 0; x <= last; x++) {
      const at = row + x;
      const gx =
        x === 0
          ? ((pixels[at + (last === 0 ? 0 : 1)] as number) - (pixels[at] as number)) * edgeScale
          : x === last
            ? ((pixels[at] as number) - (pixels[at - 1] as number)) * edgeScale
            : ((pixels[at + 1] as number) - (pixels[at - 1] as number)) * 0.5;
      const gy = ((pixels[at + down] as number) - (pixels[at + up] as number)) * yScale;
      xx += gx * gx;
      yy += gy * gy;
      xy += gx * gy;
    }
  }
  const count = width * height;
  out[0] = xx / count;
  out[1] = yy / count;
  out[2] = xy / count;
}

/**
 * Angle of the line perpendicular to the ridges, in radians (NFIQ 2 ridgeorient: half the
 * angle of (gx*gy, gx^2 - gy^2); the product term enters without the usual factor 2).
 */
export function ridgeOrientation(covariance: GradientCovariance): number {
  return Math.atan2(covariance[2] ?? 0, (covariance[0] ?? 0) - (covariance[1] ?? 0)) / 2;
}

/**
 * NFIQ 2's ridge segmentation: the image cut into `blockSize` blocks from the top-left
 * corner (partial blocks at the edges included), a block being foreground when its
 * standard deviation exceeds SEGMENTATION_THRESHOLD of the whole image's.
 */
export class SegmentationMask {
  readonly columns: number;
  readonly rows: number;
  private readonly foreground: Uint8Array;

  constructor(
    plane: Plane,
    readonly blockSize: number,
  ) {
    const { width, height, pixels } = plane;
    this.columns = Math.ceil(width / blockSize);
    this.rows = Math.ceil(height / blockSize);
    this.foreground = new Uint8Array(this.columns * this.rows);
    const sums = new Float64Array(this.columns * this.rows);
    const squares = new Float64Array(this.columns * this.rows);
    let total = 0;
    let totalSquares = 0;
    for (let y = 0; y < height; y++) {
      const row = y * width;
      const cellRow = Math.floor(y / blockSize) * this.columns;
      for (let column = 0; column < this.columns; column++) {
        // Integer sums of one block row: exact, so summing per block changes nothing.
        const end = Math.min(width, (column + 1) * blockSize);
        let sum = 0;
        let sumSquares = 0;
        for (let x = column * blockSize; x < end; x++) {
          const value = pixels[row + x] as number;
          sum += value;
          sumSquares += value * value;
        }
        const cell = cellRow + column;
        sums[cell] = (sums[cell] as number) + sum;
        squares[cell] = (squares[cell] as number) + sumSquares;
        total += sum;
        totalSquares += sumSquares;
      }
    }
    const count = width * height;
    const mean = total / count;
    const imageStdDev = Math.sqrt(Math.max(0, totalSquares / count - mean * mean));
    for (let row = 0; row < this.rows; row++) {
      const cellHeight = Math.min(blockSize, height - row * blockSize);
      for (let column = 0; column < this.columns; column++) {
        const cell = row * this.columns + column;
        const n = cellHeight * Math.min(blockSize, width - column * blockSize);
        const blockMean = (sums[cell] ?? 0) / n;
        const variance = Math.max(0, (squares[cell] ?? 0) / n - blockMean * blockMean);
        this.foreground[cell] = Math.sqrt(variance) > SEGMENTATION_THRESHOLD * imageStdDev ? 1 : 0;
      }
    }
  }

  /** True when every pixel of the rectangle lies in foreground (NFIQ 2 allfun over the mask). */
  covers(left: number, top: number, width: number, height: number): boolean {
    const size = this.blockSize;
    const lastRow = Math.floor((top + height - 1) / size);
    const lastColumn = Math.floor((left + width - 1) / size);
    for (let row = Math.floor(top / size); row <= lastRow; row++) {
      for (let column = Math.floor(left / size); column <= lastColumn; column++) {
        if (this.foreground[row * this.columns + column] !== 1) return false;
      }
    }
    return true;
  }
}

/** C's lrint / OpenCV's cvRound: halves go to the even neighbour. */
function roundHalfEven(value: number): number {
  const rounded = Math.round(value);
  return rounded - value === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

/** OpenCV warpAffine's fixed-point nearest-neighbour lookup: 10 fractional bits. */
const AB_BITS = 10;
const AB_SCALE = 1 << AB_BITS;
/** Per-column parts of extractSlantedBlock's lookup, shared by every call (no reentry). */
const columnStepX = new Int32Array(SLANTED_WINDOW);
const columnStepY = new Int32Array(SLANTED_WINDOW);

/**
 * Cuts a `rows` x `columns` window out of the SLANTED_WINDOW-sided window at (left, top),
 * rotated by `angle` radians about its centre with nearest-neighbour lookup, into `out`.
 * This reproduces NFIQ 2's getRotatedBlock (OpenCV getRotationMatrix2D + warpAffine,
 * INTER_NEAREST, zero outside) followed by the centred crop of loclar / fda / rvuhist.
 * With `pad` NFIQ 2 first widens the window by 2 pixels on every side. Its window is a view
 * into the image, so OpenCV's copyMakeBorder takes those pixels from the image itself and
 * fills with 0 only beyond the image edge. The output keeps the unpadded size, so the crop
 * sits 2 pixels off the rotation centre; that shift is kept on purpose.
 */
export function extractSlantedBlock(
  plane: Plane,
  left: number,
  top: number,
  angle: number,
  pad: boolean,
  rows: number,
  columns: number,
  out: Uint8Array,
): void {
  const border = pad ? 2 : 0;
  const size = SLANTED_WINDOW;
  const source = size + 2 * border;
  const centre = source / 2;
  // Through degrees and back, as NFIQ 2 hands OpenCV an angle in degrees.
  const radians = angle * (180 / Math.PI) * (Math.PI / 180);
  const alpha = Math.cos(radians);
  const beta = Math.sin(radians);
  // Forward matrix as getRotationMatrix2D builds it, then inverted as warpAffine does.
  const m02 = (1 - alpha) * centre - beta * centre;
  const m12 = beta * centre + (1 - alpha) * centre;
  const determinant = alpha * alpha + beta * beta;
  const i00 = alpha / determinant;
  const i01 = -beta / determinant;
  const i10 = beta / determinant;
  const i11 = alpha / determinant;
  const i02 = -(i00 * m02 + i01 * m12);
  const i12 = -(i10 * m02 + i11 * m12);

  const half = size / 2;
  const firstRow = half - rows / 2;
  const firstColumn = half - columns / 2;
  for (let c = 0; c < columns; c++) {
    const x = firstColumn + c;
    columnStepX[c] = roundHalfEven(i00 * x * AB_SCALE);
    columnStepY[c] = roundHalfEven(i10 * x * AB_SCALE);
  }
  const { pixels } = plane;
  const stride = plane.width;
  const sourceLeft = left - border;
  const sourceTop = top - border;
  for (let r = 0; r < rows; r++) {
    const y = firstRow + r;
    const x0 = roundHalfEven((i01 * y + i02) * AB_SCALE) + AB_SCALE / 2;
    const y0 = roundHalfEven((i11 * y + i12) * AB_SCALE) + AB_SCALE / 2;
    const outRow = r * columns;
    for (let c = 0; c < columns; c++) {
      const sx = (x0 + (columnStepX[c] as number)) >> AB_BITS;
      const sy = (y0 + (columnStepY[c] as number)) >> AB_BITS;
      const ix = sourceLeft + sx;
      const iy = sourceTop + sy;
      out[outRow + c] =
        sx >= 0 &&
        sx < source &&
        sy >= 0 &&
        sy < source &&
        ix >= 0 &&
        iy >= 0 &&
        ix < stride &&
        iy < plane.height
          ? (pixels[iy * stride + ix] as number)
          : 0;
    }
  }
}

/**
 * Splits a slanted block's column profile into ridge and valley columns: the column means
 * against their least-squares line, a column darker than the line being ridge (NFIQ 2
 * getRidgeValleyStructure). Fills `ridge` (1 ridge, 0 valley) and `threshold` (the line).
 */
export function ridgeValleyStructure(
  block: Uint8Array,
  rows: number,
  columns: number,
  ridge: Uint8Array,
  threshold: Float64Array,
  profile: Float64Array,
): void {
  let meanX = 0;
  let meanV = 0;
  for (let c = 0; c < columns; c++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += block[r * columns + c] as number;
    const value = sum / rows;
    profile[c] = value;
    meanX += c + 1;
    meanV += value;
  }
  meanX /= columns;
  meanV /= columns;
  let covariance = 0;
  let variance = 0;
  for (let c = 0; c < columns; c++) {
    const dx = c + 1 - meanX;
    covariance += dx * ((profile[c] ?? 0) - meanV);
    variance += dx * dx;
  }
  // NFIQ 2 rounds the fitted line to 10 decimals for cross-platform stability.
  const slope = Math.round((covariance / variance) * 1e10) / 1e10;
  const intercept = Math.round((meanV - (covariance / variance) * meanX) * 1e10) / 1e10;
  for (let c = 0; c < columns; c++) {
    const line = (c + 1) * slope + intercept;
    threshold[c] = line;
    ridge[c] = (profile[c] ?? 0) < line ? 1 : 0;
  }
}

/**
 * The 32x32 blocks NFIQ 2's LCS, FDA and RVUP features walk, with their ridge orientation
 * and whether they lie wholly in foreground. Blocks start 2 pixels in (half the border the
 * 36-pixel slanted window needs) and stop where that window would leave the image.
 */
export class SlantedBlockGrid {
  /** Top-left corner of each block's 36-pixel window. */
  readonly windowLeft: Int32Array;
  readonly windowTop: Int32Array;
  readonly orientation: Float64Array;
  readonly foreground: Uint8Array;
  readonly count: number;
  /** Blocks per row and rows of blocks; block i sits in row floor(i / columns). */
  readonly columns: number;
  readonly rows: number;

  constructor(plane: Plane, mask: SegmentationMask) {
    const offset = Math.ceil((SLANTED_WINDOW - BLOCK_SIZE) / 2);
    const lefts: number[] = [];
    const tops: number[] = [];
    let rows = 0;
    for (let top = offset; top < plane.height - (BLOCK_SIZE + offset - 1); top += BLOCK_SIZE) {
      rows++;
      for (let left = offset; left < plane.width - (BLOCK_SIZE + offset - 1); left += BLOCK_SIZE) {
        lefts.push(left);
        tops.push(top);
      }
    }
    this.rows = rows;
    this.columns = rows === 0 ? 0 : lefts.length / rows;
    this.count = lefts.length;
    this.windowLeft = new Int32Array(this.count);
    this.windowTop = new Int32Array(this.count);
    this.orientation = new Float64Array(this.count);
    this.foreground = new Uint8Array(this.count);
    const covariance = new Float64Array(3);
    for (let i = 0; i < this.count; i++) {
      const left = lefts[i] ?? 0;
      const top = tops[i] ?? 0;
      this.windowLeft[i] = left - offset;
      this.windowTop[i] = top - offset;
      this.foreground[i] = mask.covers(left, top, BLOCK_SIZE, BLOCK_SIZE) ? 1 : 0;
      gradientCovariance(plane, left, top, BLOCK_SIZE, BLOCK_SIZE, covariance);
      this.orientation[i] = ridgeOrientation(covariance);
    }
  }
}

/**
 * The slanted block of grid cell `index`: its window, turned to the cell's ridge
 * orientation plus `turn` (FDA turns a further quarter to look across the ridges).
 */
export function extractGridBlock(
  plane: Plane,
  grid: SlantedBlockGrid,
  index: number,
  shape: {
    readonly pad: boolean;
    readonly rows: number;
    readonly columns: number;
    readonly turn?: number;
  },
  out: Uint8Array,
): void {
  extractSlantedBlock(
    plane,
    grid.windowLeft[index] ?? 0,
    grid.windowTop[index] ?? 0,
    (grid.orientation[index] ?? 0) + (shape.turn ?? 0),
    shape.pad,
    shape.rows,
    shape.columns,
    out,
  );
}

/**
 * Where the ridge/valley label flips among the first `limit` columns, written to
 * `changes` as positions counted from the second column; returns how many.
 */
export function labelFlips(ridge: Uint8Array, limit: number, changes: Int32Array): number {
  let count = 0;
  for (let i = 1; i < limit; i++) {
    if (ridge[i] !== ridge[i - 1]) changes[count++] = i - 1;
  }
  return count;
}
