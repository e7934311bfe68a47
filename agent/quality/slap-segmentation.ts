import type { GreyImage } from "../../drivers/sensor.js";

/**
 * Finding the fingers of a slap. NFIQ 2 is defined for one finger, and slap systems cut
 * the fingers out before judging them; judging each finger's box instead of the whole
 * platen is also what makes a slap affordable (most of a slap is empty glass).
 */

/** A finger's region in the slap, in pixels; x and y are its top-left corner. */
export interface FingerBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * An image with a side of this many pixels or more is a slap. The largest single-finger
 * image the terminal meets is the USB optical reader's 384x290, and NIST's reference
 * single-finger images are 416x560; a four-finger slap at 500 ppi is about 1600 wide
 * (3.2 inches) and a two-thumb one over 1000. 800 leaves room on both sides.
 */
export const SLAP_MIN_SIDE = 800;

/** Fingers a four-finger slap holds; a two-thumb slap holds two. */
export const FOUR_FINGERS = 4;

/** Side of the blocks the segmentation judges: about two ridge periods at 500 ppi. */
const CELL = 16;
/** Rows of a cell read: every other one, since ridges span many rows. */
const ROW_STEP = 2;
const CELL_SAMPLES = (CELL / ROW_STEP) * CELL;
/**
 * A cell holds ridges when its grey-level deviation is this many times the platen's own
 * (the 20th percentile of the cells: a slap is mostly empty glass) and at least
 * MIN_RIDGE_DEVIATION: relative, so sensor grain or an electrically noisy platen is not
 * taken for fingers, with a floor so that a clean platen's near-zero spread is not either.
 * Ridges of a dry finger spread about 6 to 25 grey levels, an empty platen 1 to 3, the
 * noisiest platen the generator renders up to 25. Whatever the percentile, a cell spreading
 * RIDGE_DEVIATION holds ridges: glass covered edge to edge (a palm) is not empty.
 */
const PLATEN_PERCENTILE = 0.2;
const PLATEN_MULTIPLE = 2.5;
const MIN_RIDGE_DEVIATION = 6;
const RIDGE_DEVIATION = 40;
/**
 * Smallest finger, in ridge cells, and on either side: about a 100x100 patch, the least
 * the measures take (96x96). Dust, a scratch, a crumb of residue or the sliver of a
 * finger left mostly off the glass is smaller.
 */
const MIN_FINGER_CELLS = 40;
const MIN_FINGER_SIDE_CELLS = 6;
/**
 * A region wider than this (cells) holds more than one finger: a fingertip at 500 ppi is
 * 250-330 pixels wide, a thumb up to 400, and a tilted one a little more on the grid.
 */
const MAX_FINGER_CELLS_WIDE = 28;
/** Narrowest part a split may leave on either side, in cells: a little finger's width. */
const MIN_FINGER_CELLS_WIDE = 12;
/** A column is a gap between fingers when its summed deviation is at most this share of the stronger columns either side. */
const VALLEY_SHARE = 0.35;
/**
 * Tallest fingertip kept, in cells (560 pixels): a slap shows whole fingers where the
 * hand lies flat, and only the fingertip (the distal phalanx, about 2.5 cm) is the
 * print; fingers point up in a slap, so the top of a taller region is kept.
 */
const MAX_FINGERTIP_CELLS_TALL = 35;
/** Platen kept around a finger's ridge cells, pixels: the single-finger pipeline sees the finger's edge. */
const MARGIN = 16;

interface CellGrid {
  readonly columns: number;
  readonly rows: number;
  readonly deviations: Float64Array;
  /** 1 where the cell holds ridges. */
  readonly ridges: Uint8Array;
}

/**
 * Grey-level deviation of each whole CELL x CELL cell, read on every ROW_STEP-th row.
 * Integer sums, exact in any order.
 */
function cellDeviations(image: GreyImage): {
  columns: number;
  rows: number;
  deviations: Float64Array;
} {
  const { width, pixels } = image;
  const columns = Math.floor(width / CELL);
  const rows = Math.floor(image.height / CELL);
  const sums = new Int32Array(columns);
  const squares = new Float64Array(columns);
  const deviations = new Float64Array(columns * rows);
  for (let row = 0; row < rows; row++) {
    sums.fill(0);
    squares.fill(0);
    for (let y = row * CELL; y < (row + 1) * CELL; y += ROW_STEP) {
      let i = y * width;
      for (let column = 0; column < columns; column++) {
        let sum = 0;
        let sumSquares = 0;
        for (const end = i + CELL; i < end; i++) {
          const value = pixels[i] as number;
          sum += value;
          sumSquares += value * value;
        }
        sums[column] = (sums[column] as number) + sum;
        squares[column] = (squares[column] as number) + sumSquares;
      }
    }
    for (let column = 0; column < columns; column++) {
      const mean = (sums[column] as number) / CELL_SAMPLES;
      const variance = (squares[column] as number) / CELL_SAMPLES - mean * mean;
      deviations[row * columns + column] = Math.sqrt(Math.max(0, variance));
    }
  }
  return { columns, rows, deviations };
}

/** The deviation below which `share` of the cells lie, to a tenth of a grey level. */
function deviationPercentile(deviations: Float64Array, share: number): number {
  // Deviations of 8-bit values are at most 127.5: a histogram of tenths sorts them.
  const counts = new Int32Array(1281);
  for (const deviation of deviations) {
    const slot = Math.round(deviation * 10);
    counts[slot] = (counts[slot] as number) + 1;
  }
  const wanted = share * deviations.length;
  let seen = 0;
  for (let slot = 0; slot < counts.length; slot++) {
    seen += counts[slot] as number;
    if (seen > wanted) return slot / 10;
  }
  return 0;
}

function ridgeCells(image: GreyImage): CellGrid {
  const { columns, rows, deviations } = cellDeviations(image);
  const platen = deviationPercentile(deviations, PLATEN_PERCENTILE);
  const threshold = Math.min(
    RIDGE_DEVIATION,
    Math.max(MIN_RIDGE_DEVIATION, PLATEN_MULTIPLE * platen),
  );
  const ridges = new Uint8Array(columns * rows);
  for (let i = 0; i < ridges.length; i++)
    ridges[i] = (deviations[i] as number) >= threshold ? 1 : 0;
  return { columns, rows, deviations, ridges };
}

/** A connected group of ridge cells, in cell coordinates (right and bottom exclusive). */
interface Region {
  left: number;
  top: number;
  right: number;
  bottom: number;
  /** Its ridge cells, as indices into the grid. */
  readonly cells: number[];
}

/**
 * Groups the ridge cells into regions. Cells up to two apart count as connected: the
 * ridges of a dry or worn finger break up into islands with faint gaps between them,
 * and it is still one finger.
 */
function connectedRegions(grid: CellGrid): Region[] {
  const { columns, rows, ridges } = grid;
  const label = new Int32Array(columns * rows).fill(-1);
  const regions: Region[] = [];
  const stack: number[] = [];
  for (let start = 0; start < ridges.length; start++) {
    if (ridges[start] !== 1 || label[start] !== -1) continue;
    const region: Region = { left: columns, top: rows, right: 0, bottom: 0, cells: [] };
    label[start] = regions.length;
    stack.push(start);
    while (stack.length > 0) {
      const cell = stack.pop() as number;
      const x = cell % columns;
      const y = (cell - x) / columns;
      region.cells.push(cell);
      region.left = Math.min(region.left, x);
      region.right = Math.max(region.right, x + 1);
      region.top = Math.min(region.top, y);
      region.bottom = Math.max(region.bottom, y + 1);
      for (let ny = Math.max(0, y - 2); ny <= Math.min(rows - 1, y + 2); ny++) {
        for (let nx = Math.max(0, x - 2); nx <= Math.min(columns - 1, x + 2); nx++) {
          const next = ny * columns + nx;
          if (ridges[next] === 1 && label[next] === -1) {
            label[next] = regions.length;
            stack.push(next);
          }
        }
      }
    }
    regions.push(region);
  }
  return regions;
}

function regionOf(cells: readonly number[], columns: number): Region {
  const region: Region = { left: Infinity, top: Infinity, right: 0, bottom: 0, cells: [...cells] };
  for (const cell of cells) {
    const x = cell % columns;
    const y = (cell - x) / columns;
    region.left = Math.min(region.left, x);
    region.right = Math.max(region.right, x + 1);
    region.top = Math.min(region.top, y);
    region.bottom = Math.max(region.bottom, y + 1);
  }
  return region;
}

/**
 * Splits a region too wide for one finger at its weakest column, if that column is a
 * real gap (at most VALLEY_SHARE of the stronger columns either side), and the halves
 * again as needed. A column's strength is the summed deviation of its ridge cells, so a
 * faint latent ghost bridging two fingers weighs little against their ridges. Fingers
 * pressed together show such a valley where their sides meet, since a fingertip is
 * rounded; where there is none (a palm, fingers pressed flat against each other) the
 * region is kept whole rather than cut through ridges, and judged as one finger: the slap
 * then has too few fingers and the traveller is asked to place them again, where a wrong
 * cut would judge half-fingers.
 */
function splitAtValleys(region: Region, grid: CellGrid): Region[] {
  const { columns, deviations } = grid;
  const wide = region.right - region.left;
  if (wide <= MAX_FINGER_CELLS_WIDE) return [region];
  const strength = new Float64Array(wide);
  for (const cell of region.cells) {
    const x = (cell % columns) - region.left;
    strength[x] = (strength[x] as number) + (deviations[cell] as number);
  }
  let valley = MIN_FINGER_CELLS_WIDE;
  for (let x = valley + 1; x <= wide - MIN_FINGER_CELLS_WIDE; x++) {
    if ((strength[x] as number) < (strength[valley] as number)) valley = x;
  }
  const peak = (from: number, to: number): number => Math.max(...strength.subarray(from, to));
  const lowerPeak = Math.min(peak(0, valley), peak(valley + 1, wide));
  if ((strength[valley] as number) > VALLEY_SHARE * lowerPeak) return [region];
  const split = region.left + valley;
  const left = region.cells.filter((cell) => cell % columns < split);
  const right = region.cells.filter((cell) => cell % columns > split);
  return [
    ...splitAtValleys(regionOf(left, columns), grid),
    ...splitAtValleys(regionOf(right, columns), grid),
  ];
}

/** The summed deviation of a region's cells: how much ridge it holds, and how clearly. */
function ridgeStrength(region: Region, deviations: Float64Array): number {
  let strength = 0;
  for (const cell of region.cells) strength += deviations[cell] as number;
  return strength;
}

/**
 * Up to `maxFingers` finger boxes in `image`, ordered left to right: a slap's fingertips,
 * each with a MARGIN of platen, clipped to the image. An empty platen gives none. Where
 * more regions than fingers are found, the ones with the most ridge strength are taken:
 * a latent ghost left on the glass can be as large as a little finger but is fainter.
 * Reads each other row of the image once.
 */
export function segmentSlap(image: GreyImage, maxFingers = FOUR_FINGERS): FingerBox[] {
  const grid = ridgeCells(image);
  const fingers = connectedRegions(grid)
    .filter((region) => region.cells.length >= MIN_FINGER_CELLS)
    .flatMap((region) => splitAtValleys(region, grid))
    .filter(
      (region) =>
        region.cells.length >= MIN_FINGER_CELLS &&
        region.right - region.left >= MIN_FINGER_SIDE_CELLS &&
        region.bottom - region.top >= MIN_FINGER_SIDE_CELLS,
    )
    .map((region) => ({ region, strength: ridgeStrength(region, grid.deviations) }))
    .sort((a, b) => b.strength - a.strength || a.region.left - b.region.left)
    .slice(0, maxFingers)
    .map(({ region }) => region)
    .sort((a, b) => a.left + a.right - (b.left + b.right) || a.top - b.top);
  const boxes = fingers.map((region) => {
    const bottom = Math.min(region.bottom, region.top + MAX_FINGERTIP_CELLS_TALL);
    const x = Math.max(0, region.left * CELL - MARGIN);
    const y = Math.max(0, region.top * CELL - MARGIN);
    const right = Math.min(image.width, region.right * CELL + MARGIN);
    const lower = Math.min(image.height, bottom * CELL + MARGIN);
    return { x, y, width: right - x, height: lower - y };
  });
  return withoutOverlap(boxes);
}

/**
 * Boxes in left-to-right order, neighbours that overlap cut at the middle of their overlap:
 * fingers split at a valley lie closer than two margins, and neither finger's crop should
 * show the other's edge.
 */
function withoutOverlap(boxes: readonly FingerBox[]): FingerBox[] {
  const separate = boxes.map(({ x, y, width, height }) => ({ x, y, width, height }));
  for (let i = 1; i < separate.length; i++) {
    const left = separate[i - 1];
    const right = separate[i];
    if (left === undefined || right === undefined) continue;
    const overlap = left.x + left.width - right.x;
    const sideBySide = left.y < right.y + right.height && right.y < left.y + left.height;
    if (overlap <= 0 || !sideBySide) continue;
    const cut = right.x + Math.floor(overlap / 2);
    left.width = cut - left.x;
    right.width -= cut - right.x;
    right.x = cut;
  }
  return separate;
}

/** The pixels of `box` as an image of their own. */
export function cropImage(image: GreyImage, box: FingerBox): GreyImage {
  const pixels = new Uint8Array(box.width * box.height);
  for (let row = 0; row < box.height; row++) {
    const start = (box.y + row) * image.width + box.x;
    pixels.set(image.pixels.subarray(start, start + box.width), row * box.width);
  }
  return { width: box.width, height: box.height, resolutionPpi: image.resolutionPpi, pixels };
}
