import { fillBorderCells, type CellGrid } from "./gaussian-blur.js";
import { emptyWordImage } from "./word-image.js";

/**
 * Side of the cells the blurred fields are sampled on. Four pixels is the coarsest that
 * keeps the first field within a few grey levels of a full-resolution blur (eight lets
 * ridges alias into it); the second blur runs on cells twice that size (see halveCells).
 */
export const CELL = 4;
export const COARSE_CELL = 8;
/**
 * Weight of the farther sample when interpolating at pixel offset 0..3 within a cell: cell
 * centres sit at 1.5, so pixels 0 and 1 lie between the previous centre and this one.
 */
const PIXEL_WEIGHT = [0.625, 0.875, 0.125, 0.375] as const;

/** The image's CELL-pixel cells. Fields are sampled at their centres, one extra cell all round. */
export interface Cells {
  readonly width: number;
  readonly height: number;
  readonly columns: number;
  readonly rows: number;
}

/**
 * Otsu's threshold as OpenCV computes it (first level of largest between-class variance,
 * skipping levels that leave a class empty); values above it are light.
 */
function otsuThreshold(histogram: Float64Array, total: number): number {
  const scale = 1 / total;
  let mu = 0;
  for (let i = 0; i < 256; i++) mu += i * (histogram[i] as number);
  mu *= scale;
  const epsilon = 1.1920928955078125e-7; // FLT_EPSILON, OpenCV's empty-class test
  let mu1 = 0;
  let q1 = 0;
  let bestSigma = 0;
  let threshold = 0;
  for (let i = 0; i < 256; i++) {
    const p = (histogram[i] as number) * scale;
    mu1 *= q1;
    q1 += p;
    const q2 = 1 - q1;
    if (Math.min(q1, q2) < epsilon || Math.max(q1, q2) > 1 - epsilon) continue;
    mu1 = (mu1 + i * p) / q1;
    const mu2 = (mu - q1 * mu1) / q2;
    const sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
    if (sigma > bestSigma) {
      bestSigma = sigma;
      threshold = i;
    }
  }
  return threshold;
}

/**
 * The grey level above which OpenCV's Otsu binarisation of the blurred field makes a pixel
 * light, as a cut on the unrounded field (value >= cut). The histogram counts each cell's
 * centre once per pixel of the cell: the field changes by a few levels at most across a
 * cell, and a full-resolution histogram moved the ROI less than the field's own error.
 */
export function otsuCut(field: CellGrid, cells: Cells): number {
  const histogram = new Float64Array(256);
  const { width, height, columns, rows } = cells;
  const { values } = field;
  // Neighbouring cells mostly share a level: counting runs in a register spares the
  // histogram a read-modify-write of the same entry on every cell.
  let level = -1;
  let run = 0;
  for (let j = 0; j < rows; j++) {
    const cellHeight = Math.min(CELL, height - j * CELL);
    const at = (j + 1) * field.columns + 1;
    for (let i = 0; i < columns; i++) {
      const value = values[at + i] as number;
      // Math.round for the field's range, clamped as OpenCV saturates to 8 bits.
      const cellLevel = value <= 0 ? 0 : value >= 255 ? 255 : (value + 0.5) | 0;
      const pixels = cellHeight * Math.min(CELL, width - i * CELL);
      if (cellLevel === level) {
        run += pixels;
        continue;
      }
      if (level >= 0) histogram[level] = (histogram[level] as number) + run;
      level = cellLevel;
      run = pixels;
    }
  }
  if (level >= 0) histogram[level] = (histogram[level] as number) + run;
  // round(v) > t exactly when v >= t + 0.5.
  return otsuThreshold(histogram, width * height) + 0.5;
}

/**
 * The field at the sixteen pixels of cell (i, j), row-major into `out`, interpolated
 * bilinearly from the nine samples around the cell (the field has one cell of margin).
 * Pixels 0-1 of a row or column lie between the previous centre and this one, 2-3 between
 * this one and the next.
 */
export function cellField(field: CellGrid, i: number, j: number, out: Float64Array): void {
  const { values, columns } = field;
  const across = scratch;
  for (let r = 0; r < 3; r++) {
    const at = (j + r) * columns + i;
    const a = values[at] as number;
    const b = values[at + 1] as number;
    const c = values[at + 2] as number;
    for (let t = 0; t < 4; t++) {
      across[4 * r + t] =
        t < 2
          ? a + (PIXEL_WEIGHT[t] as number) * (b - a)
          : b + (PIXEL_WEIGHT[t] as number) * (c - b);
    }
  }
  for (let u = 0; u < 4; u++) {
    const upper = u < 2 ? 0 : 4;
    const weight = PIXEL_WEIGHT[u] as number;
    for (let t = 0; t < 4; t++) {
      const top = across[upper + t] as number;
      out[4 * u + t] = top + weight * ((across[upper + 4 + t] as number) - top);
    }
  }
}

const scratch = new Float64Array(12);

/** 1 where the field is at or above `cut` (light), on the field's own grid. */
export function lightSamples(field: CellGrid, cut: number): Uint8Array {
  const { values } = field;
  const light = new Uint8Array(values.length);
  for (let i = 0; i < light.length; i++) light[i] = (values[i] as number) >= cut ? 1 : 0;
  return light;
}

/**
 * Per cell, how many of the nine samples around it (its own centre and its neighbours')
 * have `flag` set. A cell's pixels are interpolated from those nine alone, so with all nine
 * or none set, every pixel of the cell agrees with them.
 */
export function flagsAround(flags: Uint8Array, cells: Cells): Uint8Array {
  const { columns, rows } = cells;
  const stride = columns + 2;
  const across = new Uint8Array(stride * (rows + 2));
  for (let at = 0; at < across.length - 2; at++) {
    across[at] = (flags[at] as number) + (flags[at + 1] as number) + (flags[at + 2] as number);
  }
  const around = new Uint8Array(columns * rows);
  for (let j = 0; j < rows; j++) {
    const at = j * stride;
    const out = j * columns;
    for (let i = 0; i < columns; i++) {
      around[out + i] =
        (across[at + i] as number) +
        (across[at + stride + i] as number) +
        (across[at + 2 * stride + i] as number);
    }
  }
  return around;
}

/**
 * The second blur's input: means of the first field's binarisation at `cut` (255 light)
 * over COARSE_CELL cells, `pad` cells of mirrored padding on every side. Whole coarse cells
 * add up the light pixels of their four cells: cells whose nine samples agree are all
 * light or all dark, and only cells the cut runs through are interpolated pixel by pixel.
 * The binarisation itself is written out only near the image's edges, where the padding
 * and partial cells read it.
 */
export function secondBlurInput(field: CellGrid, cut: number, cells: Cells, pad: number): CellGrid {
  const { width, height, columns, rows } = cells;
  const around = flagsAround(lightSamples(field, cut), cells);
  // Cells within this many of an edge are read, mirrored, by padding or partial cells.
  const band = Math.ceil(((pad + 1) * COARSE_CELL + 1) / CELL);
  const mask = emptyWordImage(width, height);
  const { words, bytes, wordsPerRow } = mask;
  const light = new Int32Array(columns * rows);
  const values = new Float64Array(CELL * CELL);
  for (let j = 0; j < rows; j++) {
    const top = j * CELL;
    const bottom = Math.min(height, top + CELL);
    const rowInBand = j < band || j >= rows - band;
    for (let i = 0; i < columns; i++) {
      const count = around[j * columns + i] as number;
      if (count === 0) continue;
      const inBand = rowInBand || i < band || i >= columns - band;
      const right = Math.min(width, (i + 1) * CELL);
      if (count === 9) {
        light[j * columns + i] = (bottom - top) * (right - i * CELL);
        // Bytes past the width are never read as pixels, so whole words are safe.
        if (inBand) for (let y = top; y < bottom; y++) words[y * wordsPerRow + i] = 0x01010101;
        continue;
      }
      cellField(field, i, j, values);
      let lightPixels = 0;
      for (let y = top; y < bottom; y++) {
        for (let x = i * CELL; x < right; x++) {
          const isLight = (values[4 * (y - top) + x - i * CELL] as number) >= cut ? 1 : 0;
          lightPixels += isLight;
          if (inBand) bytes[y * wordsPerRow * 4 + x] = isLight;
        }
      }
      light[j * columns + i] = lightPixels;
    }
  }
  const gridColumns = Math.ceil(width / COARSE_CELL) + 2 * pad;
  const gridRows = Math.ceil(height / COARSE_CELL) + 2 * pad;
  const grid = {
    values: new Float64Array(gridColumns * gridRows),
    columns: gridColumns,
    rows: gridRows,
    origin: pad,
  };
  const norm = 255 / (COARSE_CELL * COARSE_CELL);
  for (let j = 0; j < Math.floor(height / COARSE_CELL); j++) {
    const upper = 2 * j * columns;
    const out = (j + pad) * gridColumns + pad;
    for (let i = 0; i < Math.floor(width / COARSE_CELL); i++) {
      const at = upper + 2 * i;
      const sum =
        (light[at] as number) +
        (light[at + 1] as number) +
        (light[at + columns] as number) +
        (light[at + columns + 1] as number);
      grid.values[out + i] = sum * norm;
    }
  }
  fillBorderCells(grid, mask, COARSE_CELL, 255, 0);
  return grid;
}
