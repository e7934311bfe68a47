import type { GreyImage } from "../../../drivers/sensor.js";
import { Iso29794InputError } from "./errors.js";

/** A cropped, validated 8-bit image the measures work on. */
export interface Plane {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

/**
 * NFIQ 2 trims every leading and trailing row and column whose mean grey level is above
 * 250 (FingerprintImageData::copyRemovingNearWhiteFrame) before computing any feature, so
 * the white margin of a capture does not dilute Mu, MMB or the block histograms.
 */
const WHITE_FRAME_MEAN = 250;
/** NFIQ 2's measures are defined for 500 ppi only (ISO/IEC 29794-4, clause 6). */
export const REQUIRED_PPI = 500;
/**
 * Smallest side accepted after trimming: three 32-pixel blocks, the least that gives the
 * orientation-flow measure a block with a full ring of neighbours. (NFIQ 2 itself asks for
 * 196 pixels, a limit of its minutiae extractor, which this implementation does not run.)
 */
export const MIN_SIDE = 96;

/**
 * Throws Iso29794InputError unless `image` is one the measures can read: 8-bit pixels, as
 * many as its dimensions need, 500 ppi, at least MIN_SIDE on each side.
 */
export function validateImage(image: GreyImage): void {
  const { width, height, pixels, resolutionPpi } = image;
  // The type says Uint8Array, but callers holding 16-bit sensor data can cast past it.
  if (!(pixels instanceof Uint8Array) || pixels.BYTES_PER_ELEMENT !== 1) {
    throw new Iso29794InputError("not-8-bit", "pixels must be an 8-bit Uint8Array");
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Iso29794InputError("bad-dimensions", `dimensions ${width}x${height} are not valid`);
  }
  if (pixels.length < width * height) {
    throw new Iso29794InputError(
      "truncated",
      `image has ${pixels.length} pixels, fewer than its ${width}x${height} dimensions need`,
    );
  }
  if (resolutionPpi !== REQUIRED_PPI) {
    throw new Iso29794InputError(
      "unsupported-resolution",
      `ISO/IEC 29794-4 measures need ${REQUIRED_PPI} ppi, image is ${resolutionPpi} ppi`,
    );
  }
  if (width < MIN_SIDE || height < MIN_SIDE) {
    throw new Iso29794InputError(
      "too-small",
      `image is ${width}x${height}, the measures need at least ${MIN_SIDE}x${MIN_SIDE}`,
    );
  }
}

/** Columns whose sums are taken together while looking for the frame's left and right edges. */
const COLUMN_STRIP = 16;

/**
 * Validates `image` and returns it without its near-white frame, as NFIQ 2 measures it.
 * Only the frame is read: rows from the top and bottom until one is not near-white, and
 * columns from the sides in strips of COLUMN_STRIP (read row by row, so memory is read in
 * order) until one is not.
 */
export function prepareImage(image: GreyImage): Plane {
  validateImage(image);
  const { width, height, pixels } = image;
  // Rows are judged over the full width and columns over the full height, as NFIQ 2 does.
  const rowLimit = WHITE_FRAME_MEAN * width;
  const columnLimit = WHITE_FRAME_MEAN * height;
  const rowIsWhite = (y: number): boolean => {
    let sum = 0;
    for (let i = y * width; i < (y + 1) * width; i++) sum += pixels[i] as number;
    return sum > rowLimit;
  };
  let top = 0;
  while (top < height && rowIsWhite(top)) top++;
  if (top === height) {
    throw new Iso29794InputError("blank", "every row is near-white: no finger in the image");
  }
  let bottom = height - 1;
  while (bottom > top && rowIsWhite(bottom)) bottom--;

  const sums = new Float64Array(COLUMN_STRIP);
  // The first column from `from` towards `to` (exclusive) that is not near-white, or `to`.
  const firstDarkColumn = (from: number, to: number): number => {
    const step = to > from ? 1 : -1;
    for (let start = from; start !== to;) {
      const count = Math.min(COLUMN_STRIP, Math.abs(to - start));
      const low = step > 0 ? start : start - count + 1;
      sums.fill(0);
      for (let y = 0; y < height; y++) {
        const row = y * width + low;
        for (let i = 0; i < count; i++) sums[i] = (sums[i] as number) + (pixels[row + i] as number);
      }
      for (let i = 0; i < count; i++) {
        const x = start + i * step;
        if ((sums[x - low] as number) <= columnLimit) return x;
      }
      start += count * step;
    }
    return to;
  };
  const left = firstDarkColumn(0, width);
  const right = left === width ? width - 1 : firstDarkColumn(width - 1, left - 1);

  const croppedWidth = right - left + 1;
  const croppedHeight = bottom - top + 1;
  if (croppedWidth < MIN_SIDE || croppedHeight < MIN_SIDE) {
    throw new Iso29794InputError(
      "too-small",
      `finger area is ${croppedWidth}x${croppedHeight} after trimming the white frame, ` +
        `the measures need at least ${MIN_SIDE}x${MIN_SIDE}`,
    );
  }
  if (croppedWidth === width && croppedHeight === height) {
    return { width, height, pixels: pixels.subarray(0, width * height) };
  }
  const cropped = new Uint8Array(croppedWidth * croppedHeight);
  for (let y = 0; y < croppedHeight; y++) {
    const start = (top + y) * width + left;
    cropped.set(pixels.subarray(start, start + croppedWidth), y * croppedWidth);
  }
  return { width: croppedWidth, height: croppedHeight, pixels: cropped };
}
