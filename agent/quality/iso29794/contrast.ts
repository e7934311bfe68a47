import type { BlockStatistics } from "./block-statistics.js";

export interface ContrastMeasures {
  /** Mean grey level of the (trimmed) image: NIST key "Mu". */
  readonly mu: number;
  /** Mean of the 32x32 block means, partial edge blocks counted as blocks: NIST key "MMB". */
  readonly mmb: number;
}

/** NFIQ 2 MuFeature (ISO/IEC 29794-4 Mu and MMB). */
export function measureContrast(blocks: BlockStatistics): ContrastMeasures {
  const { sums, counts } = blocks;
  let meanOfMeans = 0;
  let pixels = 0;
  for (let i = 0; i < sums.length; i++) {
    meanOfMeans += (sums[i] as number) / (counts[i] as number);
    pixels += counts[i] as number;
  }
  return { mu: blocks.total / pixels, mmb: meanOfMeans / sums.length };
}
