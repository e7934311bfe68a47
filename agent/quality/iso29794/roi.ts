import type { BlockStatistics } from "./block-statistics.js";
import { blurCells, cellKernel, cellMeans, halveCells, type CellGrid } from "./gaussian-blur.js";
import { keepLargestDarkArea } from "./roi-components.js";
import {
  CELL,
  COARSE_CELL,
  cellField,
  flagsAround,
  lightSamples,
  otsuCut,
  secondBlurInput,
  type Cells,
} from "./roi-fields.js";
import { EVEN_BYTES, erodeHalved, type WordImage } from "./word-image.js";

/** First blur: 41x41 Gaussian, OpenCV's default sigma for that size (6.5). */
const FIRST_BLUR = 41;
/** Second blur: 91x91 Gaussian (sigma 14), smoothing the first binarisation into one area. */
const SECOND_BLUR = 91;
/**
 * ROI blocks and the coherence map use 32x32 blocks in NFIQ 2.3, the version of NIST's
 * reference output (older sources pass 16; NIST's CoherenceSum / CoherenceRel give 196
 * ROI blocks for SFinGe_Test01, which only 32-pixel blocks reproduce).
 */
export const ROI_BLOCK = 32;
const CELLS_PER_BLOCK = ROI_BLOCK / CELL;

export interface RegionOfInterest {
  /** Mean grey level of the ROI pixels, 255 when there are none: NIST "ImgProcROIArea_Mean". */
  readonly meanOfRoiPixels: number;
  readonly roiPixels: number;
  /** 1 where a ROI_BLOCK block (partial blocks at the edges included) holds any ROI pixel. */
  readonly blocks: Uint8Array;
  readonly blockColumns: number;
  readonly blockRows: number;
  readonly roiBlocks: number;
}

/**
 * NFIQ 2's image-processing region of interest (ImgProcROIFeature::computeROI): erode,
 * blur 41, Otsu, blur 91, Otsu; holes inside the finger area are filled and only the
 * dark component with the largest bounding box is kept. The ROI is its dark pixels.
 *
 * The blurs run on cell means (gaussian-blur.ts) and the binarisations and components on
 * the cell centres; pixels are classified one by one only in cells the ROI's edge crosses.
 */
export function computeRegionOfInterest(
  image: WordImage,
  blockSums: BlockStatistics,
): RegionOfInterest {
  const { width, height } = image;
  const cells: Cells = {
    width,
    height,
    columns: Math.ceil(width / CELL),
    rows: Math.ceil(height / CELL),
  };
  const first = cellKernel(FIRST_BLUR, CELL);
  // Eroded pixels are halved: doubled, plus the dropped bit's mean, they are grey levels.
  const eroded = cellMeans(erodeHalved(image), first.radius + 1, 2, 0.5);
  const field1 = blurCells(eroded, first);

  const second = cellKernel(SECOND_BLUR, COARSE_CELL);
  const mask = secondBlurInput(field1, otsuCut(field1, cells), cells, second.radius + 2);
  const field2 = halveCells(blurCells(mask, second), cells.columns, cells.rows);
  const cut = otsuCut(field2, cells);
  const dark = lightSamples(field2, cut);
  for (let i = 0; i < dark.length; i++) dark[i] = 1 - (dark[i] as number);
  const roi = keepLargestDarkArea(dark, cells.columns, cells.rows);
  return measureRoi(image, blockSums, field2, cut, dark, roi, cells);
}

/**
 * Whether a pixel on `side` (1 dark) of the cut, interpolated from the four samples from
 * `a`, belongs to the ROI: it does when a sample on its side does, as a pixel connects to
 * the area its own side's samples belong to. With no sample on its side (a sliver the
 * samples miss) it follows any ROI sample.
 */
function sideIsRoi(
  dark: Uint8Array,
  roi: Uint8Array,
  a: number,
  stride: number,
  side: number,
): boolean {
  const b = a + stride;
  const same =
    (dark[a] === side ? 1 : 0) |
    (dark[a + 1] === side ? 2 : 0) |
    (dark[b] === side ? 4 : 0) |
    (dark[b + 1] === side ? 8 : 0);
  const inRoi =
    (roi[a] as number) |
    ((roi[a + 1] as number) << 1) |
    ((roi[b] as number) << 2) |
    ((roi[b + 1] as number) << 3);
  return (same === 0 ? inRoi : inRoi & same) !== 0;
}

/**
 * Sums the ROI pixels. Blocks whose cells are all wholly ROI take their sums from
 * `blockSums`; cells whose nine samples are all ROI, or all not, are taken whole; in the
 * others a pixel is ROI when a neighbouring sample on its side of the cut is.
 */
function measureRoi(
  image: WordImage,
  blockSums: BlockStatistics,
  field: CellGrid,
  cut: number,
  dark: Uint8Array,
  roi: Uint8Array,
  cells: Cells,
): RegionOfInterest {
  const { width, height } = image;
  const { columns, rows } = cells;
  const around = flagsAround(roi, cells);
  const blockColumns = Math.ceil(width / ROI_BLOCK);
  const blockRows = Math.ceil(height / ROI_BLOCK);
  const blocks = new Uint8Array(blockColumns * blockRows);
  // Pixel sums of partly covered blocks build up in total[0].
  const total = new Float64Array(1);
  let sum = 0;
  let roiPixels = 0;
  for (let by = 0; by < blockRows; by++) {
    const lastRow = Math.min(rows, (by + 1) * CELLS_PER_BLOCK);
    for (let bx = 0; bx < blockColumns; bx++) {
      const lastColumn = Math.min(columns, (bx + 1) * CELLS_PER_BLOCK);
      let whole = true;
      let none = true;
      for (let j = by * CELLS_PER_BLOCK; j < lastRow; j++) {
        for (let i = bx * CELLS_PER_BLOCK; i < lastColumn; i++) {
          const count = around[j * columns + i] as number;
          if (count !== 9) whole = false;
          if (count !== 0) none = false;
        }
      }
      if (none) continue;
      const block = by * blockColumns + bx;
      if (whole) {
        sum += blockSums.sums[block] as number;
        roiPixels += blockSums.counts[block] as number;
        blocks[block] = 1;
        continue;
      }
      for (let j = by * CELLS_PER_BLOCK; j < lastRow; j++) {
        for (let i = bx * CELLS_PER_BLOCK; i < lastColumn; i++) {
          const count = around[j * columns + i] as number;
          if (count === 0) continue;
          const cellPixels = sumCell(image, field, cut, dark, roi, i, j, count === 9, total);
          if (cellPixels === 0) continue;
          roiPixels += cellPixels;
          blocks[block] = 1;
        }
      }
    }
  }
  let roiBlocks = 0;
  for (const block of blocks) roiBlocks += block;
  return {
    meanOfRoiPixels: roiPixels === 0 ? 255 : (sum + (total[0] as number)) / roiPixels,
    roiPixels,
    blocks,
    blockColumns,
    blockRows,
    roiBlocks,
  };
}

/** The field at the pixels of the cell sumCell looks at. */
const cellValues = new Float64Array(CELL * CELL);

/**
 * Adds the sum of the ROI pixels of cell (i, j) (all of them when `whole`) to total[0] and
 * returns how many there are.
 */
function sumCell(
  image: WordImage,
  field: CellGrid,
  cut: number,
  dark: Uint8Array,
  roi: Uint8Array,
  i: number,
  j: number,
  whole: boolean,
  total: Float64Array,
): number {
  const { width, height, words, bytes, wordsPerRow } = image;
  const top = j * CELL;
  const bottom = Math.min(height, top + CELL);
  const right = Math.min(width, (i + 1) * CELL);
  if (whole && right === (i + 1) * CELL) {
    let lanes = 0;
    for (let y = top; y < bottom; y++) {
      const word = words[y * wordsPerRow + i] as number;
      lanes += (word & EVEN_BYTES) + ((word >>> 8) & EVEN_BYTES);
    }
    total[0] = (total[0] as number) + (lanes & 0xffff) + (lanes >>> 16);
    return (bottom - top) * CELL;
  }
  const stride = field.columns;
  if (!whole) cellField(field, i, j, cellValues);
  let sum = 0;
  let pixels = 0;
  for (let y = top; y < bottom; y++) {
    const row = y * wordsPerRow * 4;
    for (let x = i * CELL; x < right; x++) {
      if (!whole) {
        const side = (cellValues[4 * (y - top) + x - i * CELL] as number) < cut ? 1 : 0;
        const a = ((y >> 2) + ((y & 3) >> 1)) * stride + (x >> 2) + ((x & 3) >> 1);
        if (!sideIsRoi(dark, roi, a, stride, side)) continue;
      }
      sum += bytes[row + x] as number;
      pixels++;
    }
  }
  total[0] = (total[0] as number) + sum;
  return pixels;
}
