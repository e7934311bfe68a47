import type { WordImage } from "./word-image.js";

/** NFIQ 2's block size for the block features: at 500 ppi, 32 pixels span three to four ridges. */
export const BLOCK_SIZE = 32;
const WORDS_PER_BLOCK = BLOCK_SIZE / 4;

/**
 * Grey-level sums of the BLOCK_SIZE blocks from the top-left corner, partial blocks at the
 * right and bottom included: what Mu, MMB and the ridge segmentation all start from, taken
 * in one pass.
 */
export interface BlockStatistics {
  readonly columns: number;
  readonly rows: number;
  /** Per block, row-major: pixels, sum of grey levels, sum of their squares. */
  readonly counts: Float64Array;
  readonly sums: Float64Array;
  readonly squares: Float64Array;
  readonly total: number;
  readonly totalSquares: number;
}

export function blockStatistics(image: WordImage): BlockStatistics {
  const { width, height, wordsPerRow, words } = image;
  const columns = Math.ceil(width / BLOCK_SIZE);
  const rows = Math.ceil(height / BLOCK_SIZE);
  const counts = new Float64Array(columns * rows);
  const sums = new Float64Array(columns * rows);
  const squares = new Float64Array(columns * rows);
  // A row's last word may hold padding bytes: the mask keeps only its pixels.
  const tailPixels = width % 4;
  const tailMask = tailPixels === 0 ? -1 : 2 ** (8 * tailPixels) - 1;
  let total = 0;
  let totalSquares = 0;
  for (let y = 0; y < height; y++) {
    const row = y * wordsPerRow;
    const cellRow = Math.floor(y / BLOCK_SIZE) * columns;
    for (let column = 0; column < columns; column++) {
      const end = Math.min(wordsPerRow, (column + 1) * WORDS_PER_BLOCK);
      // Integer sums of one block row: exact, so the order of summing changes nothing.
      let sum = 0;
      let sumSquares = 0;
      for (let k = column * WORDS_PER_BLOCK; k < end; k++) {
        const word = (words[row + k] as number) & (k === wordsPerRow - 1 ? tailMask : -1);
        const a = word & 255;
        const b = (word >>> 8) & 255;
        const c = (word >>> 16) & 255;
        const d = word >>> 24;
        sum += a + b + c + d;
        sumSquares += a * a + b * b + c * c + d * d;
      }
      const cell = cellRow + column;
      sums[cell] = (sums[cell] as number) + sum;
      squares[cell] = (squares[cell] as number) + sumSquares;
      total += sum;
      totalSquares += sumSquares;
    }
  }
  for (let row = 0; row < rows; row++) {
    const cellHeight = Math.min(BLOCK_SIZE, height - row * BLOCK_SIZE);
    for (let column = 0; column < columns; column++) {
      counts[row * columns + column] =
        cellHeight * Math.min(BLOCK_SIZE, width - column * BLOCK_SIZE);
    }
  }
  return { columns, rows, counts, sums, squares, total, totalSquares };
}
