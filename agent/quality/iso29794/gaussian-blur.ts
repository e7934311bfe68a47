import { EVEN_BYTES, type WordImage } from "./word-image.js";

/*
 * The region-of-interest blurs (41x41 and 91x91 Gaussians, sigma 6.5 and 14) leave nothing
 * finer than a few pixels, so they are computed on grids of cell means, far cheaper than
 * at full resolution: the 41-tap kernel becomes 11 taps on 4-pixel cells, and the 91-tap
 * one 13 taps on 8-pixel cells. The field at any pixel is then interpolated from the cells.
 */

/** OpenCV's sigma for a Gaussian of `size` taps when none is given (getGaussianKernel). */
function openCvSigma(size: number): number {
  return 0.3 * ((size - 1) * 0.5 - 1) + 0.8;
}

/** Index into [0, n) with OpenCV's default border (reflect without repeating the edge). */
function reflect101(index: number, n: number): number {
  let i = index;
  while (i < 0 || i >= n) i = n === 1 ? 0 : i < 0 ? -i : 2 * n - 2 - i;
  return i;
}

/** A symmetric kernel on a cell grid: weights[0] is the centre, weights[k] the taps at +-k. */
export interface CellKernel {
  readonly weights: Float64Array;
  readonly radius: number;
}

/**
 * The kernel that, applied to means of `factor`-pixel cells, approximates OpenCV's `size`-tap
 * Gaussian at the cell centres. Averaging over a cell already blurs by the cell's variance
 * ((factor^2 - 1) / 12 per axis), so the cell kernel carries only the rest; it reaches as far
 * as OpenCV's kernel, rounded up to whole cells.
 */
export function cellKernel(size: number, factor: number): CellKernel {
  const sigma = openCvSigma(size);
  const cellSigma = Math.sqrt(sigma * sigma - (factor * factor - 1) / 12) / factor;
  const radius = Math.ceil((size - 1) / 2 / factor);
  const weights = new Float64Array(radius + 1);
  let sum = 0;
  for (let k = 0; k <= radius; k++) {
    const weight = Math.exp(-(k * k) / (2 * cellSigma * cellSigma));
    weights[k] = weight;
    sum += k === 0 ? weight : 2 * weight;
  }
  for (let k = 0; k <= radius; k++) weights[k] = (weights[k] as number) / sum;
  return { weights, radius };
}

/** A row-major grid of cell values; cell (0, 0) of the image sits at (origin, origin). */
export interface CellGrid {
  readonly values: Float64Array;
  readonly columns: number;
  readonly rows: number;
  /** How many cells lie before the image's first cell on each side. */
  readonly origin: number;
}

/**
 * Means of `image` over 4 x 4 cells, the image's cells plus `pad` cells on every side,
 * times `scale` plus `offset`. Pixels outside the image (the padding, and the missing part
 * of a partial cell at the right or bottom edge) are mirrored as OpenCV's default border
 * does, so a blur over the padded grid sees the same border as OpenCV's blur at full
 * resolution. A whole cell is a word in each of four rows; with bytes of at most 127, two
 * rows add bytewise before splitting into 16-bit lanes.
 */
export function cellMeans(image: WordImage, pad: number, scale: number, offset: number): CellGrid {
  const factor = 4;
  const { width, height, wordsPerRow: n, words } = image;
  const columns = Math.ceil(width / factor) + 2 * pad;
  const rows = Math.ceil(height / factor) + 2 * pad;
  const values = new Float64Array(columns * rows);
  const norm = scale / (factor * factor);
  const wholeColumns = Math.floor(width / factor);
  const wholeRows = Math.floor(height / factor);
  for (let j = 0; j < wholeRows; j++) {
    const top = j * factor * n;
    const out = (j + pad) * columns + pad;
    for (let i = 0; i < wholeColumns; i++) {
      const at = top + i;
      const upper = (words[at] as number) + (words[at + n] as number);
      const lower = (words[at + 2 * n] as number) + (words[at + 3 * n] as number);
      const lanes =
        (upper & EVEN_BYTES) +
        ((upper >>> 8) & EVEN_BYTES) +
        (lower & EVEN_BYTES) +
        ((lower >>> 8) & EVEN_BYTES);
      values[out + i] = ((lanes & 0xffff) + (lanes >>> 16)) * norm + offset;
    }
  }
  const grid = { values, columns, rows, origin: pad };
  fillBorderCells(grid, image, factor, scale, offset);
  return grid;
}

/**
 * Sets the cells of `grid` that are not whole cells of `image` (the padding, and partial
 * cells at the right and bottom) to their means times `scale` plus `offset`, through tables
 * of mirrored rows and columns.
 */
export function fillBorderCells(
  grid: CellGrid,
  image: WordImage,
  factor: number,
  scale: number,
  offset: number,
): void {
  const { width, height, wordsPerRow, bytes, words } = image;
  const { values, columns, rows, origin: pad } = grid;
  const norm = scale / (factor * factor);
  const wholeColumns = Math.floor(width / factor);
  const wholeRows = Math.floor(height / factor);
  // First word of each mirrored row.
  const rowAt = new Int32Array(rows * factor);
  for (let y = 0; y < rowAt.length; y++) {
    rowAt[y] = reflect101(y - pad * factor, height) * wordsPerRow;
  }
  const columnAt = new Int32Array(columns * factor);
  for (let x = 0; x < columnAt.length; x++) columnAt[x] = reflect101(x - pad * factor, width);
  const wordsPerCell = factor / 4;
  for (let j = 0; j < rows; j++) {
    if (j < pad || j >= pad + wholeRows) {
      // A padding or partial row: its cells over the image's whole columns still read
      // whole words, from mirrored rows. Lanes take two bytes per word and at most 16
      // words, so they never carry.
      for (let i = 0; i < wholeColumns; i++) {
        let lanes = 0;
        for (let y = j * factor; y < (j + 1) * factor; y++) {
          const at = (rowAt[y] as number) + i * wordsPerCell;
          for (let k = 0; k < wordsPerCell; k++) {
            const word = words[at + k] as number;
            lanes += (word & EVEN_BYTES) + ((word >>> 8) & EVEN_BYTES);
          }
        }
        values[j * columns + pad + i] = ((lanes & 0xffff) + (lanes >>> 16)) * norm + offset;
      }
    }
    for (let i = 0; i < columns; i++) {
      if (i === pad) i += wholeColumns;
      if (i >= columns) break;
      let sum = 0;
      for (let y = j * factor; y < (j + 1) * factor; y++) {
        const row = 4 * (rowAt[y] as number);
        for (let x = i * factor; x < (i + 1) * factor; x++) {
          sum += bytes[row + (columnAt[x] as number)] as number;
        }
      }
      values[j * columns + i] = sum * norm + offset;
    }
  }
}

/**
 * One line of a separable blur: out[o + x] for x in [0, count) is the kernel applied around
 * source[centre + x], its taps `step` apart. Three taps share each sweep along the line:
 * V8 spends more per loop iteration than per multiply, and a sweep per tap was three times
 * slower.
 */
function blurLine(
  source: Float64Array,
  centre: number,
  step: number,
  out: Float64Array,
  o: number,
  count: number,
  kernel: CellKernel,
): void {
  const { weights, radius } = kernel;
  const w0 = weights[0] as number;
  const w1 = weights[1] as number;
  const w2 = weights[2] as number;
  for (let x = 0; x < count; x++) {
    const c = centre + x;
    out[o + x] =
      w0 * (source[c] as number) +
      w1 * ((source[c - step] as number) + (source[c + step] as number)) +
      w2 * ((source[c - 2 * step] as number) + (source[c + 2 * step] as number));
  }
  let k = 3;
  for (; k + 2 <= radius; k += 3) {
    const wa = weights[k] as number;
    const wb = weights[k + 1] as number;
    const wc = weights[k + 2] as number;
    const a = k * step;
    const b = a + step;
    const d = b + step;
    for (let x = 0; x < count; x++) {
      const c = centre + x;
      out[o + x] =
        (out[o + x] as number) +
        wa * ((source[c - a] as number) + (source[c + a] as number)) +
        wb * ((source[c - b] as number) + (source[c + b] as number)) +
        wc * ((source[c - d] as number) + (source[c + d] as number));
    }
  }
  for (; k <= radius; k++) {
    const weight = weights[k] as number;
    const a = k * step;
    for (let x = 0; x < count; x++) {
      const c = centre + x;
      out[o + x] =
        (out[o + x] as number) + weight * ((source[c - a] as number) + (source[c + a] as number));
    }
  }
}

/**
 * Separable blur of `grid` by `kernel` (radius 2 or more), keeping only the cells whose
 * whole window lies in the grid: the padding is consumed, `kernel.radius` cells per side.
 */
export function blurCells(grid: CellGrid, kernel: CellKernel): CellGrid {
  const { values, columns, rows } = grid;
  const { radius } = kernel;
  const outColumns = columns - 2 * radius;
  const outRows = rows - 2 * radius;
  const across = new Float64Array(outColumns * rows);
  for (let row = 0; row < rows; row++) {
    blurLine(values, row * columns + radius, 1, across, row * outColumns, outColumns, kernel);
  }
  const blurred = new Float64Array(outColumns * outRows);
  for (let row = 0; row < outRows; row++) {
    const centre = (row + radius) * outColumns;
    blurLine(across, centre, outColumns, blurred, row * outColumns, outColumns, kernel);
  }
  return { values: blurred, columns: outColumns, rows: outRows, origin: grid.origin - radius };
}

/**
 * Catmull-Rom weights at a quarter and three quarters of the way between two samples: a
 * cell of half the size is centred a quarter of a coarse cell off a coarse cell's centre.
 * Cubic rather than linear interpolation keeps the coarse field's curvature, which linear
 * interpolation over 8 pixels would flatten by up to 2.5 grey levels at a finger's edge.
 */
const QUARTER = [-0.0703125, 0.8671875, 0.2265625, -0.0234375] as const;
const THREE_QUARTERS = [-0.0234375, 0.2265625, 0.8671875, -0.0703125] as const;

/**
 * The field of `coarse` (cells of 2f pixels) at the centres of f-pixel cells: the image's
 * `columns` x `rows` cells plus one on every side. `coarse` must reach two cells beyond the
 * image's on every side.
 */
export function halveCells(coarse: CellGrid, columns: number, rows: number): CellGrid {
  const outColumns = columns + 2;
  const outRows = rows + 2;
  // Fine cell i (from -1) has its centre at coarse position (i - 0.5) / 2: between coarse
  // cells floor((i - 1) / 2) and the next, three quarters along for even i, one for odd.
  const firstTap = (i: number): number => Math.floor((i - 1) / 2) - 1 + coarse.origin;
  const tapsFor = (i: number): readonly number[] => ((i & 1) === 0 ? THREE_QUARTERS : QUARTER);
  const across = new Float64Array(outColumns * coarse.rows);
  for (let i = -1; i <= columns; i++) {
    const [a, b, c, d] = tapsFor(i) as [number, number, number, number];
    const from = firstTap(i);
    for (let row = 0; row < coarse.rows; row++) {
      const at = row * coarse.columns + from;
      const v = coarse.values;
      across[row * outColumns + i + 1] =
        a * (v[at] as number) +
        b * (v[at + 1] as number) +
        c * (v[at + 2] as number) +
        d * (v[at + 3] as number);
    }
  }
  const values = new Float64Array(outColumns * outRows);
  for (let j = -1; j <= rows; j++) {
    const [a, b, c, d] = tapsFor(j) as [number, number, number, number];
    const from = firstTap(j) * outColumns;
    const out = (j + 1) * outColumns;
    for (let x = 0; x < outColumns; x++) {
      const at = from + x;
      values[out + x] =
        a * (across[at] as number) +
        b * (across[at + outColumns] as number) +
        c * (across[at + 2 * outColumns] as number) +
        d * (across[at + 3 * outColumns] as number);
    }
  }
  return { values, columns: outColumns, rows: outRows, origin: 1 };
}
