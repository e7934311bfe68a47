import { SLANTED_GRID_OFFSET } from "./block-geometry.js";
import { BLOCK_SIZE } from "./block-statistics.js";
import type { Plane } from "./prepare.js";
import type { WordImage } from "./word-image.js";

/**
 * Mean gradient covariance [gx^2, gy^2, gx*gy] of every block of a grid of whole
 * BLOCK_SIZE blocks whose first block starts `offset` pixels from the top-left corner,
 * gradients as NFIQ 2 takes them per block (covcoef with CENTERED_DIFFERENCES, Matlab's
 * gradient()): central differences inside the block, one-sided ones on its edges.
 */
export interface BlockCovariances {
  readonly offset: number;
  readonly columns: number;
  readonly rows: number;
  /** Three values per block, row-major. */
  readonly values: Float64Array;
}

/**
 * Sums of the central-difference products over the pieces of row `y`, unscaled. Inner
 * columns of a corner block are [1, 31) of its 32, of an inset block [3, 33), so each
 * period of 32 columns is cut into pieces [1, 3), [3, 31) and [31, 33): `pieces` gets nine
 * sums per period (gx^2, gy^2, gx*gy for each piece). Words are read four pixels at a
 * time; a period's first word splits its pixels between the previous period's last piece,
 * the first piece and the middle one, and its last word between the middle and last pieces.
 */
function rowPieces(image: WordImage, y: number, periods: number, pieces: Float64Array): void {
  const { words, wordsPerRow: n } = image;
  const row = y * n;
  let prev = 0;
  let cur = words[row] as number;
  for (let p = 0; p < periods; p++) {
    const at = 9 * p;
    const firstWord = row + 8 * p;
    const lastWord = firstWord + 7;
    let xx = 0;
    let yy = 0;
    let xy = 0;
    for (let k = firstWord; k <= lastWord; k++) {
      const next = words[k + 1] as number;
      const up = words[k - n] as number;
      const down = words[k + n] as number;
      const c0 = cur & 255;
      const c1 = (cur >>> 8) & 255;
      const c2 = (cur >>> 16) & 255;
      const c3 = cur >>> 24;
      const gx0 = c1 - (prev >>> 24);
      const gx1 = c2 - c0;
      const gx2 = c3 - c1;
      const gx3 = (next & 255) - c2;
      const gy0 = (down & 255) - (up & 255);
      const gy1 = ((down >>> 8) & 255) - ((up >>> 8) & 255);
      const gy2 = ((down >>> 16) & 255) - ((up >>> 16) & 255);
      const gy3 = (down >>> 24) - (up >>> 24);
      if (k === firstWord) {
        // Pixel 0 ends the previous period's last piece; pixels 1 and 2 are the first piece.
        if (p > 0) {
          pieces[at - 3] = (pieces[at - 3] as number) + gx0 * gx0;
          pieces[at - 2] = (pieces[at - 2] as number) + gy0 * gy0;
          pieces[at - 1] = (pieces[at - 1] as number) + gx0 * gy0;
        }
        pieces[at] = gx1 * gx1 + gx2 * gx2;
        pieces[at + 1] = gy1 * gy1 + gy2 * gy2;
        pieces[at + 2] = gx1 * gy1 + gx2 * gy2;
        xx += gx3 * gx3;
        yy += gy3 * gy3;
        xy += gx3 * gy3;
      } else if (k === lastWord) {
        // Pixel 31 starts the last piece.
        xx += gx0 * gx0 + gx1 * gx1 + gx2 * gx2;
        yy += gy0 * gy0 + gy1 * gy1 + gy2 * gy2;
        xy += gx0 * gy0 + gx1 * gy1 + gx2 * gy2;
        pieces[at + 6] = gx3 * gx3;
        pieces[at + 7] = gy3 * gy3;
        pieces[at + 8] = gx3 * gy3;
      } else {
        xx += gx0 * gx0 + gx1 * gx1 + gx2 * gx2 + gx3 * gx3;
        yy += gy0 * gy0 + gy1 * gy1 + gy2 * gy2 + gy3 * gy3;
        xy += gx0 * gy0 + gx1 * gy1 + gx2 * gy2 + gx3 * gy3;
      }
      prev = cur;
      cur = next;
    }
    pieces[at + 3] = xx;
    pieces[at + 4] = yy;
    pieces[at + 5] = xy;
  }
  // The pixel after the last period, when it has a right neighbour, ends the last piece.
  if (periods > 0 && 32 * periods < image.width - 1) {
    const { bytes } = image;
    const stride = n * 4;
    const i = y * stride + 32 * periods;
    const gx = (bytes[i + 1] as number) - (bytes[i - 1] as number);
    const gy = (bytes[i + stride] as number) - (bytes[i - stride] as number);
    const last = 9 * periods - 3;
    pieces[last] = (pieces[last] as number) + gx * gx;
    pieces[last + 1] = (pieces[last + 1] as number) + gy * gy;
    pieces[last + 2] = (pieces[last + 2] as number) + gx * gy;
  }
}

/** How many whole blocks fit from `offset` along `length` pixels. */
function wholeBlocks(length: number, offset: number, limit: number): number {
  return Math.max(0, Math.min(limit, Math.floor((length - offset) / BLOCK_SIZE)));
}

/**
 * Adds the edge ring of the block at (left, top) to `out` as NFIQ 2 sums it: one-sided
 * differences across the block's edge, central ones (halved) along it.
 */
function addEdges(plane: Plane, left: number, top: number, out: Float64Array, at: number): void {
  const { pixels, width } = plane;
  const last = BLOCK_SIZE - 1;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  // Top and bottom rows: gy one-sided, towards the block's inside; gx one-sided at the
  // corners.
  for (let edge = 0; edge < 2; edge++) {
    const row = (top + edge * last) * width + left;
    const toward = edge === 0 ? width : -width;
    const sign = edge === 0 ? 1 : -1;
    const gyFirst = sign * ((pixels[row + toward] as number) - (pixels[row] as number));
    const gxFirst = (pixels[row + 1] as number) - (pixels[row] as number);
    const end = row + last;
    const gyLast = sign * ((pixels[end + toward] as number) - (pixels[end] as number));
    const gxLast = (pixels[end] as number) - (pixels[end - 1] as number);
    xx += gxFirst * gxFirst + gxLast * gxLast;
    yy += gyFirst * gyFirst + gyLast * gyLast;
    xy += gxFirst * gyFirst + gxLast * gyLast;
    for (let i = row + 1; i < end; i++) {
      const gx = ((pixels[i + 1] as number) - (pixels[i - 1] as number)) * 0.5;
      const gy = sign * ((pixels[i + toward] as number) - (pixels[i] as number));
      xx += gx * gx;
      yy += gy * gy;
      xy += gx * gy;
    }
  }
  // Left and right columns between them: gx one-sided, gy central.
  for (let y = top + 1; y < top + last; y++) {
    const i = y * width + left;
    const j = i + last;
    const gxLeft = (pixels[i + 1] as number) - (pixels[i] as number);
    const gyLeft = ((pixels[i + width] as number) - (pixels[i - width] as number)) * 0.5;
    const gxRight = (pixels[j] as number) - (pixels[j - 1] as number);
    const gyRight = ((pixels[j + width] as number) - (pixels[j - width] as number)) * 0.5;
    xx += gxLeft * gxLeft + gxRight * gxRight;
    yy += gyLeft * gyLeft + gyRight * gyRight;
    xy += gxLeft * gyLeft + gxRight * gyRight;
  }
  out[at] = (out[at] as number) + xx;
  out[at + 1] = (out[at + 1] as number) + yy;
  out[at + 2] = (out[at + 2] as number) + xy;
}

/**
 * The block covariances of two grids at once: from the corner (OCL and the coherence map),
 * and the slanted-block grid of LCS, FDA, RVUP and OF (`insetGrid` blocks from 2 pixels in).
 * A pixel's central-difference products are the same in both, so each is computed once
 * (rowPieces), the inside of a corner block being the first two pieces of each period and
 * of an inset block the last two. Sums are of integers, exact, so the figures equal
 * NFIQ 2's block by block. With `insetNeeded` (1 per inset block), only the inset blocks it
 * flags are finished and the others are left 0: the slanted-block measures read foreground
 * blocks only, and most of a slap is not.
 */
export function blockCovariances(
  plane: Plane,
  image: WordImage,
  insetGrid: { readonly columns: number; readonly rows: number },
  insetNeeded?: Uint8Array,
): { readonly corner: BlockCovariances; readonly inset: BlockCovariances } {
  const { width, height } = plane;
  const inset = SLANTED_GRID_OFFSET;
  const grids = [
    { offset: 0, columns: wholeBlocks(width, 0, Infinity), rows: wholeBlocks(height, 0, Infinity) },
    {
      offset: inset,
      columns: wholeBlocks(width, inset, insetGrid.columns),
      rows: wholeBlocks(height, inset, insetGrid.rows),
    },
  ];
  // Central-difference sums of the inner pixels, unscaled (a quarter of NFIQ 2's), per block.
  const inner = grids.map((grid) => new Float64Array(3 * grid.columns * grid.rows));
  const periods = Math.max(grids[0]?.columns ?? 0, grids[1]?.columns ?? 0);
  // Per period and piece: sums of gx^2, gy^2 and gx*gy over one row.
  const pieces = new Float64Array(periods * 9);
  for (let y = 1; y < height - 1; y++) {
    rowPieces(image, y, periods, pieces);
    for (let g = 0; g < 2; g++) {
      const grid = grids[g] as (typeof grids)[0];
      const shifted = y - grid.offset;
      const blockRow = Math.floor(shifted / BLOCK_SIZE);
      const within = shifted - BLOCK_SIZE * blockRow;
      // Only a block's inner rows; its first and last are edges.
      if (within < 1 || within > BLOCK_SIZE - 2 || blockRow >= grid.rows) continue;
      const sums = inner[g] as Float64Array;
      // Corner blocks take the first two pieces of their period, inset blocks the last two.
      const firstPiece = g === 0 ? 0 : 3;
      let at = 3 * blockRow * grid.columns;
      for (let piece = firstPiece; piece < 9 * grid.columns; piece += 9) {
        for (let k = 0; k < 3; k++) {
          sums[at + k] =
            (sums[at + k] as number) +
            (pieces[piece + k] as number) +
            (pieces[piece + 3 + k] as number);
        }
        at += 3;
      }
    }
  }
  const [corner, insetBlocks] = grids.map((grid, g) => {
    const values = inner[g] as Float64Array;
    for (let row = 0; row < grid.rows; row++) {
      for (let column = 0; column < grid.columns; column++) {
        const at = 3 * (row * grid.columns + column);
        if (g === 1 && insetNeeded !== undefined && insetNeeded[at / 3] !== 1) {
          values.fill(0, at, at + 3);
          continue;
        }
        for (let k = 0; k < 3; k++) values[at + k] = (values[at + k] as number) / 4;
        addEdges(
          plane,
          grid.offset + column * BLOCK_SIZE,
          grid.offset + row * BLOCK_SIZE,
          values,
          at,
        );
        for (let k = 0; k < 3; k++)
          values[at + k] = (values[at + k] as number) / (BLOCK_SIZE * BLOCK_SIZE);
      }
    }
    return { ...grid, values };
  }) as [BlockCovariances, BlockCovariances];
  return { corner, inset: insetBlocks };
}
