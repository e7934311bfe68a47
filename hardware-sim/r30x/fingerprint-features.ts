/**
 * The simulator's own feature extraction: not minutiae, but two honest, cheap
 * descriptions of the 4-bit image the module holds.
 *
 * - A ridge-orientation field: one byte per 16x16-pixel block, 0 where the block is
 *   background (too little contrast to be skin).
 * - A ridge signature: one bit per 4x4-pixel cell over a central window, set where the
 *   cell is darker than its block. Cells are under half a ridge period (about 9 pixels
 *   at 500 ppi), so the bits trace where the ridges actually run: two different fingers
 *   agree on about half of them, the same finger on nearly all.
 *
 * The window is the largest block-aligned central square that fits the model's fixed
 * template size, so an R307 (512 bytes) and an R503 (1536 bytes) use the same method.
 */

export const BLOCK = 16;
const CELL = 4;
const CELLS_PER_BLOCK = BLOCK / CELL;
export const HEADER_LENGTH = 8;
const MAGIC = 0xb5;
const FORMAT_VERSION = 1;

/** Byte 2 of a template: what produced it. */
export const TemplateKind = { CharacterFile: 1, Merged: 2 } as const;

/** Contrast (standard deviation in 4-bit grey levels) below which a block is bare glass. */
const FOREGROUND_STD = 1.5;
/** Share of foreground blocks from which the module reports a finger at all. */
const PRESENCE_FRACTION = 0.05;
/** Below this share the print is too small to extract from (confirmation 0x07). */
const MINIMUM_AREA_FRACTION = 0.2;
/** Mean ridge-flow coherence below which the image is too messy (confirmation 0x06). */
const MINIMUM_COHERENCE = 0.35;

export interface TemplateGeometry {
  readonly width: number;
  readonly height: number;
  readonly templateSize: number;
  readonly blocksX: number;
  readonly blocksY: number;
  /** The signature window, in blocks. */
  readonly windowBlocks: number;
  readonly windowX: number;
  readonly windowY: number;
}

export function templateGeometry(
  width: number,
  height: number,
  templateSize: number,
): TemplateGeometry {
  const blocksX = Math.floor(width / BLOCK);
  const blocksY = Math.floor(height / BLOCK);
  const blockCount = blocksX * blocksY;
  let windowBlocks = Math.min(blocksX, blocksY);
  const signatureBytes = (side: number): number => (side * CELLS_PER_BLOCK) ** 2 / 8;
  while (
    windowBlocks > 0 &&
    HEADER_LENGTH + blockCount + signatureBytes(windowBlocks) > templateSize
  )
    windowBlocks--;
  if (windowBlocks === 0)
    throw new RangeError(
      `a ${templateSize}-byte template cannot describe a ${width}x${height} image`,
    );
  return {
    width,
    height,
    templateSize,
    blocksX,
    blocksY,
    windowBlocks,
    windowX: Math.floor((blocksX - windowBlocks) / 2),
    windowY: Math.floor((blocksY - windowBlocks) / 2),
  };
}

export interface ImageAnalysis {
  /** Ridge orientation per block in [0, π); NaN for background blocks. */
  readonly orientation: Float64Array;
  readonly coherence: Float64Array;
  readonly blockMean: Float64Array;
  readonly foregroundFraction: number;
  readonly meanCoherence: number;
}

export type ImageVerdict = "no-finger" | "too-small" | "too-messy" | "good";

/** A 4-bit pixel of an UpImage-format buffer. */
function nibble(packed: Uint8Array, index: number): number {
  const byte = packed[index >> 1] ?? 0;
  return index & 1 ? byte & 0x0f : byte >> 4;
}

/** One byte per pixel, 0-15. */
function unpackNibbles(packed: Uint8Array, pixelCount: number): Uint8Array {
  const pixels = new Uint8Array(pixelCount);
  for (let i = 0; i < pixelCount; i++) pixels[i] = nibble(packed, i);
  return pixels;
}

export function analyseImage(packed: Uint8Array, geometry: TemplateGeometry): ImageAnalysis {
  const { width, height, blocksX, blocksY } = geometry;
  const pixels = unpackNibbles(packed, width * height);
  const count = blocksX * blocksY;
  const orientation = new Float64Array(count).fill(Number.NaN);
  const coherence = new Float64Array(count);
  const blockMean = new Float64Array(count);
  let foreground = 0;
  let coherenceSum = 0;
  for (let by = 0; by < blocksY; by++) {
    for (let bx = 0; bx < blocksX; bx++) {
      let sum = 0;
      let squares = 0;
      let gxx = 0;
      let gyy = 0;
      let gxy = 0;
      for (let y = by * BLOCK; y < (by + 1) * BLOCK; y++) {
        const row = y * width;
        const up = Math.max(0, y - 1) * width;
        const down = Math.min(height - 1, y + 1) * width;
        for (let x = bx * BLOCK; x < (bx + 1) * BLOCK; x++) {
          const value = pixels[row + x] ?? 0;
          sum += value;
          squares += value * value;
          const gx =
            (pixels[row + Math.min(width - 1, x + 1)] ?? 0) -
            (pixels[row + Math.max(0, x - 1)] ?? 0);
          const gy = (pixels[down + x] ?? 0) - (pixels[up + x] ?? 0);
          gxx += gx * gx;
          gyy += gy * gy;
          gxy += gx * gy;
        }
      }
      const block = by * blocksX + bx;
      const n = BLOCK * BLOCK;
      const mean = sum / n;
      blockMean[block] = mean;
      if (Math.sqrt(Math.max(0, squares / n - mean * mean)) < FOREGROUND_STD) continue;
      const energy = gxx + gyy;
      const blockCoherence = energy === 0 ? 0 : Math.hypot(gxx - gyy, 2 * gxy) / energy;
      // Ridges run across the dominant gradient.
      let angle = 0.5 * Math.atan2(2 * gxy, gxx - gyy) + Math.PI / 2;
      if (angle >= Math.PI) angle -= Math.PI;
      orientation[block] = angle;
      coherence[block] = blockCoherence;
      foreground++;
      coherenceSum += blockCoherence;
    }
  }
  return {
    orientation,
    coherence,
    blockMean,
    foregroundFraction: foreground / count,
    meanCoherence: foreground === 0 ? 0 : coherenceSum / foreground,
  };
}

/** How the module judges a capture: finger or not, then whether features can be extracted. */
export function judgeImage(analysis: ImageAnalysis): ImageVerdict {
  if (analysis.foregroundFraction < PRESENCE_FRACTION) return "no-finger";
  if (analysis.foregroundFraction < MINIMUM_AREA_FRACTION) return "too-small";
  if (analysis.meanCoherence < MINIMUM_COHERENCE) return "too-messy";
  return "good";
}

export function encodeAngle(angle: number): number {
  return 1 + Math.min(254, Math.floor((angle / Math.PI) * 255));
}

export function decodeAngle(code: number): number {
  return ((code - 0.5) / 255) * Math.PI;
}

/** The character file for an image; call judgeImage() first. */
export function extractTemplate(
  packed: Uint8Array,
  geometry: TemplateGeometry,
  analysis: ImageAnalysis = analyseImage(packed, geometry),
): Uint8Array {
  const { width, blocksX, blocksY, windowBlocks, windowX, windowY } = geometry;
  const template = new Uint8Array(geometry.templateSize);
  template.set([
    MAGIC,
    FORMAT_VERSION,
    TemplateKind.CharacterFile,
    blocksX,
    blocksY,
    windowBlocks,
    windowX,
    windowY,
  ]);
  const blockCount = blocksX * blocksY;
  for (let block = 0; block < blockCount; block++) {
    const angle = analysis.orientation[block] ?? Number.NaN;
    template[HEADER_LENGTH + block] = Number.isNaN(angle) ? 0 : encodeAngle(angle);
  }
  const signatureStart = HEADER_LENGTH + blockCount;
  const cellsPerSide = windowBlocks * CELLS_PER_BLOCK;
  for (let cy = 0; cy < cellsPerSide; cy++) {
    for (let cx = 0; cx < cellsPerSide; cx++) {
      const x0 = windowX * BLOCK + cx * CELL;
      const y0 = windowY * BLOCK + cy * CELL;
      let sum = 0;
      for (let y = y0; y < y0 + CELL; y++)
        for (let x = x0; x < x0 + CELL; x++) sum += nibble(packed, y * width + x);
      const block = Math.floor(y0 / BLOCK) * blocksX + Math.floor(x0 / BLOCK);
      if (sum / (CELL * CELL) >= (analysis.blockMean[block] ?? 0)) continue;
      const bit = cy * cellsPerSide + cx;
      const index = signatureStart + (bit >> 3);
      template[index] = (template[index] ?? 0) | (0x80 >> (bit & 7));
    }
  }
  return template;
}

/** True when `template` is one of ours and fits this geometry (a downloaded file may not). */
export function isValidTemplate(template: Uint8Array, geometry: TemplateGeometry): boolean {
  return (
    template.length === geometry.templateSize &&
    template[0] === MAGIC &&
    template[1] === FORMAT_VERSION &&
    (template[2] === TemplateKind.CharacterFile || template[2] === TemplateKind.Merged) &&
    template[3] === geometry.blocksX &&
    template[4] === geometry.blocksY &&
    template[5] === geometry.windowBlocks &&
    template[6] === geometry.windowX &&
    template[7] === geometry.windowY
  );
}

/** Signature bit `cell` (row-major within the window) and the block that cell lies in. */
export function signatureCell(
  template: Uint8Array,
  geometry: TemplateGeometry,
  cell: number,
): { bit: boolean; block: number } {
  const cellsPerSide = geometry.windowBlocks * CELLS_PER_BLOCK;
  const cx = cell % cellsPerSide;
  const cy = Math.floor(cell / cellsPerSide);
  const block =
    (geometry.windowY + Math.floor(cy / CELLS_PER_BLOCK)) * geometry.blocksX +
    geometry.windowX +
    Math.floor(cx / CELLS_PER_BLOCK);
  const index = HEADER_LENGTH + geometry.blocksX * geometry.blocksY + (cell >> 3);
  return { bit: ((template[index] ?? 0) & (0x80 >> (cell & 7))) !== 0, block };
}

export function signatureCellCount(geometry: TemplateGeometry): number {
  return (geometry.windowBlocks * CELLS_PER_BLOCK) ** 2;
}
