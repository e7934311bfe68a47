import { BLOCK_SIZE } from "./block-geometry.js";
import type { Plane } from "./prepare.js";

export interface ContrastMeasures {
  /** Mean grey level of the (trimmed) image: NIST key "Mu". */
  readonly mu: number;
  /** Mean of the 32x32 block means, partial edge blocks counted as blocks: NIST key "MMB". */
  readonly mmb: number;
}

/** NFIQ 2 MuFeature (ISO/IEC 29794-4 Mu and MMB). */
export function measureContrast(plane: Plane): ContrastMeasures {
  const { width, height, pixels } = plane;
  const columns = Math.ceil(width / BLOCK_SIZE);
  const rows = Math.ceil(height / BLOCK_SIZE);
  const blockSums = new Float64Array(columns * rows);
  let total = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const cellRow = Math.floor(y / BLOCK_SIZE) * columns;
    for (let column = 0; column < columns; column++) {
      const end = Math.min(width, (column + 1) * BLOCK_SIZE);
      let sum = 0;
      for (let x = column * BLOCK_SIZE; x < end; x++) sum += pixels[row + x] as number;
      blockSums[cellRow + column] = (blockSums[cellRow + column] as number) + sum;
      total += sum;
    }
  }
  let meanOfMeans = 0;
  for (let row = 0; row < rows; row++) {
    const cellHeight = Math.min(BLOCK_SIZE, height - row * BLOCK_SIZE);
    for (let column = 0; column < columns; column++) {
      const cellWidth = Math.min(BLOCK_SIZE, width - column * BLOCK_SIZE);
      meanOfMeans += (blockSums[row * columns + column] ?? 0) / (cellWidth * cellHeight);
    }
  }
  return { mu: total / (width * height), mmb: meanOfMeans / (columns * rows) };
}
