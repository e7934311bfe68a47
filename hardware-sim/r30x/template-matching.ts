import {
  decodeAngle,
  encodeAngle,
  HEADER_LENGTH,
  isValidTemplate,
  signatureCell,
  signatureCellCount,
  TemplateKind,
  type TemplateGeometry,
} from "./fingerprint-features.js";

/** Scores run 0..300, about the range the modules report. */
export const MAX_SCORE = 300;

/**
 * The score a comparison must reach, by security level: level 1 accepts most and
 * level 5 least, as the manuals describe (higher FRR, lower FAR). Different fingers
 * score near 0 and the same finger near 300, so every level separates them.
 */
const THRESHOLDS: Readonly<Record<number, number>> = { 1: 30, 2: 40, 3: 50, 4: 65, 5: 80 };

/** RegModel refuses to merge two captures scoring below this (confirmation 0x0A). */
export const MERGE_THRESHOLD = 50;

export function matchThreshold(securityLevel: number): number {
  return THRESHOLDS[securityLevel] ?? MAX_SCORE;
}

/**
 * How alike two templates are: the overlap of their finger areas, times how well
 * their ridge orientations agree, times how far their ridge signatures agree beyond
 * chance. Any factor near zero (another finger, another part of the finger) makes
 * the score small. Signature bits along a ridge move together, so two different
 * fingers agree on 50 ± 10 % of them rather than exactly half; cubing the excess
 * over chance keeps that spread far below every threshold while the same finger,
 * agreeing on nearly all bits, keeps its score. Invalid templates score 0.
 */
export function matchScore(a: Uint8Array, b: Uint8Array, geometry: TemplateGeometry): number {
  if (!isValidTemplate(a, geometry) || !isValidTemplate(b, geometry)) return 0;
  const blockCount = geometry.blocksX * geometry.blocksY;
  let inA = 0;
  let inB = 0;
  let common = 0;
  let agreement = 0;
  const shared = new Uint8Array(blockCount);
  for (let block = 0; block < blockCount; block++) {
    const codeA = a[HEADER_LENGTH + block] ?? 0;
    const codeB = b[HEADER_LENGTH + block] ?? 0;
    if (codeA !== 0) inA++;
    if (codeB !== 0) inB++;
    if (codeA === 0 || codeB === 0) continue;
    common++;
    shared[block] = 1;
    agreement += Math.cos(2 * (decodeAngle(codeA) - decodeAngle(codeB)));
  }
  if (common === 0) return 0;
  const overlap = (2 * common) / (inA + inB);
  const orientation = Math.max(0, agreement / common);

  let cells = 0;
  let equal = 0;
  const cellCount = signatureCellCount(geometry);
  for (let cell = 0; cell < cellCount; cell++) {
    const fromA = signatureCell(a, geometry, cell);
    if (shared[fromA.block] !== 1) continue;
    cells++;
    if (fromA.bit === signatureCell(b, geometry, cell).bit) equal++;
  }
  const ridges = cells === 0 ? 0 : Math.max(0, (2 * equal) / cells - 1) ** 3;
  return Math.round(MAX_SCORE * overlap * orientation * ridges);
}

/**
 * RegModel's template from two character files of one finger: orientations averaged
 * (as doubled angles, so 179° and 1° average to 0°, not 90°), the finger area the
 * union of both, the signature from the first capture where both saw the cell.
 */
export function mergeTemplates(
  a: Uint8Array,
  b: Uint8Array,
  geometry: TemplateGeometry,
): Uint8Array {
  const merged = a.slice();
  merged[2] = TemplateKind.Merged;
  const blockCount = geometry.blocksX * geometry.blocksY;
  for (let block = 0; block < blockCount; block++) {
    const codeA = a[HEADER_LENGTH + block] ?? 0;
    const codeB = b[HEADER_LENGTH + block] ?? 0;
    if (codeB === 0) continue;
    if (codeA === 0) {
      merged[HEADER_LENGTH + block] = codeB;
      continue;
    }
    const doubledA = 2 * decodeAngle(codeA);
    const doubledB = 2 * decodeAngle(codeB);
    let angle =
      Math.atan2(Math.sin(doubledA) + Math.sin(doubledB), Math.cos(doubledA) + Math.cos(doubledB)) /
      2;
    if (angle < 0) angle += Math.PI;
    merged[HEADER_LENGTH + block] = encodeAngle(angle);
  }
  const signatureStart = HEADER_LENGTH + blockCount;
  const cellCount = signatureCellCount(geometry);
  for (let cell = 0; cell < cellCount; cell++) {
    const fromA = signatureCell(a, geometry, cell);
    if ((a[HEADER_LENGTH + fromA.block] ?? 0) !== 0) continue;
    const index = signatureStart + (cell >> 3);
    const mask = 0x80 >> (cell & 7);
    const bitB = signatureCell(b, geometry, cell).bit;
    merged[index] = bitB ? (merged[index] ?? 0) | mask : (merged[index] ?? 0) & ~mask;
  }
  return merged;
}
