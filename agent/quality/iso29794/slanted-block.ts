import { SLANTED_ACROSS, SLANTED_WINDOW, type SlantedBlockGrid } from "./block-geometry.js";
import type { Plane } from "./prepare.js";

/** C's lrint / OpenCV's cvRound: halves go to the even neighbour. */
function roundHalfEven(value: number): number {
  const rounded = Math.round(value);
  return rounded - value === 0.5 && (rounded & 1) !== 0 ? rounded - 1 : rounded;
}

/** OpenCV warpAffine's fixed-point nearest-neighbour lookup: 10 fractional bits. */
const AB_BITS = 10;
const AB_SCALE = 1 << AB_BITS;
/**
 * The lookup of the current block, shared by every call (no reentry): source position of
 * (row r, column c) in 1/1024 pixel is (rowX[r] + columnX[c], rowY[r] + columnY[c]).
 */
const lookup = {
  rowX: new Int32Array(SLANTED_WINDOW),
  rowY: new Int32Array(SLANTED_WINDOW),
  columnX: new Int32Array(SLANTED_WINDOW),
  columnY: new Int32Array(SLANTED_WINDOW),
};
const { rowX, rowY, columnX, columnY } = lookup;
/** What the column tables were last filled for. */
const lastColumns = { i00: NaN, i10: NaN, count: 0 };

/** What a sampling pass produces (see sampleSlantedBlock). */
export interface SlantedSamples {
  /** The block, row-major; filled only when asked for. */
  readonly block: Uint8Array;
  /** Per column, the sum of its samples. */
  readonly columnSums: Int32Array;
  /** Per row, the sum of its samples. */
  readonly rowSums: Int32Array;
}

export function slantedSamples(): SlantedSamples {
  return {
    block: new Uint8Array(SLANTED_WINDOW * SLANTED_WINDOW),
    columnSums: new Int32Array(SLANTED_WINDOW),
    rowSums: new Int32Array(SLANTED_WINDOW),
  };
}

/**
 * Fills the lookup for a `rows` x `columns` window cut out of the SLANTED_WINDOW-sided
 * window at (left, top), rotated by `angle` radians about its centre with nearest-neighbour
 * lookup. This reproduces NFIQ 2's getRotatedBlock (OpenCV getRotationMatrix2D + warpAffine,
 * INTER_NEAREST, zero outside) followed by the centred crop of loclar / fda / rvuhist.
 * With `pad` NFIQ 2 first widens the window by 2 pixels on every side. Its window is a view
 * into the image, so OpenCV's copyMakeBorder takes those pixels from the image itself and
 * fills with 0 only beyond the image edge. The output keeps the unpadded size, so the crop
 * sits 2 pixels off the rotation centre; that shift is kept on purpose.
 *
 * Returns the image offset that source position (0, 0) of the window maps to when every
 * sample lies inside the image and the window (nearly every block; the offset itself may be
 * negative), else null, the samples then being in edgeBlock.
 */
function prepareLookup(
  plane: Plane,
  left: number,
  top: number,
  angle: number,
  pad: boolean,
  rows: number,
  columns: number,
): number | null {
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
  // LCS and RVUP turn the same block by the same angle over the same columns: the column
  // half of the lookup carries over (the rows differ with the padding's rotation centre).
  if (i00 !== lastColumns.i00 || i10 !== lastColumns.i10 || columns !== lastColumns.count) {
    for (let c = 0; c < columns; c++) {
      const x = firstColumn + c;
      columnX[c] = roundHalfEven(i00 * x * AB_SCALE);
      columnY[c] = roundHalfEven(i10 * x * AB_SCALE);
    }
    lastColumns.i00 = i00;
    lastColumns.i10 = i10;
    lastColumns.count = columns;
  }
  for (let r = 0; r < rows; r++) {
    const y = firstRow + r;
    rowX[r] = roundHalfEven((i01 * y + i02) * AB_SCALE) + AB_SCALE / 2;
    rowY[r] = roundHalfEven((i11 * y + i12) * AB_SCALE) + AB_SCALE / 2;
  }
  const sourceLeft = left - border;
  const sourceTop = top - border;
  // Positions are monotonic along rows and along columns, so the corners bound them all.
  const lastRow = rows - 1;
  const lastColumn = columns - 1;
  const minX =
    (Math.min(rowX[0] as number, rowX[lastRow] as number) +
      Math.min(columnX[0] as number, columnX[lastColumn] as number)) >>
    AB_BITS;
  const maxX =
    (Math.max(rowX[0] as number, rowX[lastRow] as number) +
      Math.max(columnX[0] as number, columnX[lastColumn] as number)) >>
    AB_BITS;
  const minY =
    (Math.min(rowY[0] as number, rowY[lastRow] as number) +
      Math.min(columnY[0] as number, columnY[lastColumn] as number)) >>
    AB_BITS;
  const maxY =
    (Math.max(rowY[0] as number, rowY[lastRow] as number) +
      Math.max(columnY[0] as number, columnY[lastColumn] as number)) >>
    AB_BITS;
  // Samples count where they fall inside both the (padded) window and the image.
  const { pixels, width, height } = plane;
  const fromX = Math.max(0, -sourceLeft);
  const toX = Math.min(source, width - sourceLeft);
  const fromY = Math.max(0, -sourceTop);
  const toY = Math.min(source, height - sourceTop);
  if (minX >= fromX && maxX < toX && minY >= fromY && maxY < toY) {
    return sourceTop * width + sourceLeft;
  }
  // Otherwise the samples that miss are 0. Along a row, positions move monotonically, so
  // the samples that hit form one run, found from both ends; the run is read unchecked.
  const origin = sourceTop * width + sourceLeft;
  const hits = (x0: number, y0: number, c: number): boolean => {
    const sx = (x0 + (columnX[c] as number)) >> AB_BITS;
    const sy = (y0 + (columnY[c] as number)) >> AB_BITS;
    return sx >= fromX && sx < toX && sy >= fromY && sy < toY;
  };
  edgeBlock.fill(0, 0, rows * columns);
  for (let r = 0; r < rows; r++) {
    const x0 = rowX[r] as number;
    const y0 = rowY[r] as number;
    let first = 0;
    while (first < columns && !hits(x0, y0, first)) first++;
    let last = columns - 1;
    while (last >= first && !hits(x0, y0, last)) last--;
    for (let c = first; c <= last; c++) {
      const sx = (x0 + (columnX[c] as number)) >> AB_BITS;
      const sy = (y0 + (columnY[c] as number)) >> AB_BITS;
      edgeBlock[r * columns + c] = pixels[origin + sy * width + sx] as number;
    }
  }
  return null;
}

/** The samples of a block near the image's edge, taken by prepareLookup. */
const edgeBlock = new Uint8Array(SLANTED_WINDOW * SLANTED_WINDOW);

/**
 * Samples a slanted block (see prepareLookup) into `out`: with `sums` "rows" the row sums
 * (FDA), with "columns" the column sums (RVUP) and, when `block` is set, the block itself
 * (LCS). Each sum builds up in a register, the loop running along it; near the image's edge
 * every sum and the block are filled.
 */
function sampleSlantedBlock(
  plane: Plane,
  left: number,
  top: number,
  angle: number,
  shape: SlantedShape,
  sums: "rows" | "columns",
  block: boolean,
  out: SlantedSamples,
): void {
  const { rows, columns } = shape;
  const origin = prepareLookup(plane, left, top, angle, shape.pad, rows, columns);
  if (origin === null) {
    out.columnSums.fill(0, 0, columns);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let c = 0; c < columns; c++) {
        const value = edgeBlock[r * columns + c] as number;
        if (block) out.block[r * columns + c] = value;
        out.columnSums[c] = (out.columnSums[c] as number) + value;
        sum += value;
      }
      out.rowSums[r] = sum;
    }
  } else if (sums === "rows") {
    sumRowsInside(plane.pixels, plane.width, origin, rows, columns, out.rowSums, lookup);
  } else {
    sumColumnsInside(plane.pixels, plane.width, origin, rows, columns, block, out, lookup);
  }
}

/*
 * The loops over blocks inside the image take the tables as arguments, which V8 keeps in
 * registers where it reloads module-level arrays on every access: about twice as fast.
 */

function sumRowsInside(
  pixels: Uint8Array,
  stride: number,
  origin: number,
  rows: number,
  columns: number,
  rowSums: Int32Array,
  { rowX: rx, rowY: ry, columnX: cx, columnY: cy }: typeof lookup,
): void {
  for (let r = 0; r < rows; r++) {
    const x0 = rx[r] as number;
    const y0 = ry[r] as number;
    let sum = 0;
    for (let c = 0; c < columns; c++) {
      const sx = (x0 + (cx[c] as number)) >> AB_BITS;
      const sy = (y0 + (cy[c] as number)) >> AB_BITS;
      sum += pixels[origin + sy * stride + sx] as number;
    }
    rowSums[r] = sum;
  }
}

function sumColumnsInside(
  pixels: Uint8Array,
  stride: number,
  origin: number,
  rows: number,
  columns: number,
  block: boolean,
  { block: out, columnSums }: SlantedSamples,
  { rowX: rx, rowY: ry, columnX: cx, columnY: cy }: typeof lookup,
): void {
  for (let c = 0; c < columns; c++) {
    const x0 = cx[c] as number;
    const y0 = cy[c] as number;
    let sum = 0;
    for (let r = 0; r < rows; r++) {
      const sx = (x0 + (rx[r] as number)) >> AB_BITS;
      const sy = (y0 + (ry[r] as number)) >> AB_BITS;
      const value = pixels[origin + sy * stride + sx] as number;
      if (block) out[r * columns + c] = value;
      sum += value;
    }
    columnSums[c] = sum;
  }
}

/** The window NFIQ 2 cuts out of a grid cell; FDA turns a further quarter to look across the ridges. */
export interface SlantedShape {
  readonly pad: boolean;
  readonly rows: number;
  readonly columns: number;
  readonly turn?: number;
}

/**
 * Samples the slanted block of grid cell `index` (see sampleSlantedBlock): its window,
 * turned to the cell's ridge orientation plus `shape.turn`.
 */
export function sampleGridBlock(
  plane: Plane,
  grid: SlantedBlockGrid,
  index: number,
  shape: SlantedShape,
  sums: "rows" | "columns",
  block: boolean,
  out: SlantedSamples,
): void {
  sampleSlantedBlock(
    plane,
    grid.windowLeft[index] as number,
    grid.windowTop[index] as number,
    (grid.orientation[index] as number) + (shape.turn ?? 0),
    shape,
    sums,
    block,
    out,
  );
}

/**
 * Buffers for splitting one slanted block into ridge and valley runs across the ridges
 * (LCS and RVUP), allocated once per measure and reused for every block.
 */
export class RidgeValleyScratch {
  readonly samples = slantedSamples();
  readonly ridge = new Uint8Array(SLANTED_ACROSS);
  readonly threshold = new Float64Array(SLANTED_ACROSS);
  readonly profile = new Float64Array(SLANTED_ACROSS);
  readonly changes = new Int32Array(SLANTED_ACROSS);
}
