import type { BlockCovariances } from "./block-gradients.js";
import { BLOCK_SIZE, type BlockStatistics } from "./block-statistics.js";
import type { Plane } from "./prepare.js";

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
 * Whole blocks of the two block grids come from blockCovariances, faster; this serves the
 * coherence map's partial blocks at the right and bottom edges.
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
 * NFIQ 2's ridge segmentation: the image cut into BLOCK_SIZE blocks from the top-left
 * corner (partial blocks at the edges included), a block being foreground when its
 * standard deviation exceeds SEGMENTATION_THRESHOLD of the whole image's.
 */
export class SegmentationMask {
  readonly columns: number;
  readonly rows: number;
  readonly blockSize = BLOCK_SIZE;
  private readonly foreground: Uint8Array;

  constructor(blocks: BlockStatistics) {
    const { columns, rows, counts, sums, squares } = blocks;
    this.columns = columns;
    this.rows = rows;
    this.foreground = new Uint8Array(columns * rows);
    let count = 0;
    for (const n of counts) count += n;
    const mean = blocks.total / count;
    const imageStdDev = Math.sqrt(Math.max(0, blocks.totalSquares / count - mean * mean));
    for (let cell = 0; cell < this.foreground.length; cell++) {
      const n = counts[cell] as number;
      const blockMean = (sums[cell] as number) / n;
      const variance = Math.max(0, (squares[cell] as number) / n - blockMean * blockMean);
      this.foreground[cell] = Math.sqrt(variance) > SEGMENTATION_THRESHOLD * imageStdDev ? 1 : 0;
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

/**
 * Splits a slanted block's columns, given their sums over `rows` rows, into ridge and valley
 * columns: the column means against their least-squares line, a column darker than the line
 * being ridge (NFIQ 2 getRidgeValleyStructure). Fills `ridge` (1 ridge, 0 valley),
 * `threshold` (the line) and `profile` (the column means).
 */
export function ridgeValleyStructure(
  columnSums: Int32Array,
  rows: number,
  columns: number,
  ridge: Uint8Array,
  threshold: Float64Array,
  profile: Float64Array,
): void {
  let meanX = 0;
  let meanV = 0;
  for (let c = 0; c < columns; c++) {
    const value = (columnSums[c] as number) / rows;
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

/** Where the slanted-block grid's blocks start: half the border the window adds to a block. */
export const SLANTED_GRID_OFFSET = Math.ceil((SLANTED_WINDOW - BLOCK_SIZE) / 2);

/**
 * How many blocks NFIQ 2's LCS, FDA and RVUP features walk per row and column: from
 * SLANTED_GRID_OFFSET, as long as the slanted window stays inside the image.
 */
export function slantedGridSize(plane: Plane): { columns: number; rows: number } {
  const count = (length: number): number => {
    const end = length - (BLOCK_SIZE + SLANTED_GRID_OFFSET - 1);
    return Math.max(0, Math.ceil((end - SLANTED_GRID_OFFSET) / BLOCK_SIZE));
  };
  return { columns: count(plane.width), rows: count(plane.height) };
}

/**
 * Per block of the slanted-block grid (`size`, see slantedGridSize), 1 when it lies wholly in
 * foreground: the blocks LCS, FDA, RVUP and OF measure.
 */
export function slantedForeground(
  mask: SegmentationMask,
  size: { readonly columns: number; readonly rows: number },
): Uint8Array {
  const foreground = new Uint8Array(size.columns * size.rows);
  for (let i = 0; i < foreground.length; i++) {
    const left = SLANTED_GRID_OFFSET + (i % size.columns) * BLOCK_SIZE;
    const top = SLANTED_GRID_OFFSET + Math.floor(i / size.columns) * BLOCK_SIZE;
    foreground[i] = mask.covers(left, top, BLOCK_SIZE, BLOCK_SIZE) ? 1 : 0;
  }
  return foreground;
}

/**
 * The 32x32 blocks NFIQ 2's LCS, FDA and RVUP features walk, with their ridge orientation
 * and whether they lie wholly in foreground (see slantedGridSize). Only foreground blocks
 * are measured, so only theirs need an orientation.
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

  /**
   * `covariances`: the blocks' gradient covariances, from SLANTED_GRID_OFFSET (those of
   * foreground blocks at least); `foreground` from slantedForeground.
   */
  constructor(covariances: BlockCovariances, foreground: Uint8Array) {
    this.rows = covariances.rows;
    this.columns = covariances.columns;
    this.count = this.rows * this.columns;
    this.windowLeft = new Int32Array(this.count);
    this.windowTop = new Int32Array(this.count);
    this.orientation = new Float64Array(this.count);
    this.foreground = foreground;
    for (let i = 0; i < this.count; i++) {
      this.windowLeft[i] = (i % this.columns) * BLOCK_SIZE;
      this.windowTop[i] = Math.floor(i / this.columns) * BLOCK_SIZE;
      if (this.foreground[i] !== 1) continue;
      this.orientation[i] = ridgeOrientation(covariances.values.subarray(3 * i, 3 * i + 3));
    }
  }
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
