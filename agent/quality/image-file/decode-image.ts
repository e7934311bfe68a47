import sharp from "sharp";
import type { GreyImage } from "../../../drivers/sensor.js";
import { ImageFileError } from "./image-file-error.js";
import { decodePgm, looksLikePgm } from "./pgm.js";

/** The resolution every quality measure is defined at (ISO/IEC 29794-4). */
export const MEASURED_PPI = 500;
/** Resolutions that resample honestly to 500 ppi: below 250 there is too little detail. */
export const RESOLUTION_RANGE = { min: 250, max: 2000 } as const;
/** Sides accepted at 500 ppi: a 96-pixel sliver up to a slap with margin (about 5 inches). */
export const SIDE_RANGE = { min: 96, max: 2500 } as const;

export interface DecodeOptions {
  /** The scan resolution, when the caller knows it; overrides what the file says. */
  readonly resolutionPpi?: number;
  /** Headerless 8-bit pixels of this size; required for raw input. */
  readonly raw?: { readonly width: number; readonly height: number };
}

function checkResolution(ppi: number, source: string): void {
  if (!(ppi >= RESOLUTION_RANGE.min && ppi <= RESOLUTION_RANGE.max)) {
    throw new ImageFileError(
      "unsupported-resolution",
      `${source} resolution ${ppi} ppi is outside ${RESOLUTION_RANGE.min}-${RESOLUTION_RANGE.max} ppi`,
    );
  }
}

function checkSize(width: number, height: number, when: string): void {
  const inRange = (side: number): boolean => side >= SIDE_RANGE.min && side <= SIDE_RANGE.max;
  if (!inRange(width) || !inRange(height)) {
    throw new ImageFileError(
      "out-of-range",
      `image is ${width}x${height} ${when}; each side must be ${SIDE_RANGE.min}-${SIDE_RANGE.max} pixels`,
    );
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Every PNG ends with an empty IEND chunk: length 0, type, then its fixed CRC. */
const PNG_END = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

/** libspng reports a cut-off file as a generic read error, so look for the end ourselves. */
function isTruncatedPng(bytes: Uint8Array): boolean {
  if (!PNG_SIGNATURE.every((byte, i) => bytes[i] === byte)) return false;
  const tail = bytes.subarray(bytes.length - PNG_END.length);
  return !PNG_END.every((byte, i) => tail[i] === byte);
}

/** Libvips messages name the failure; keep the first line, which never holds pixel data. */
function decodeFailure(error: unknown): ImageFileError {
  const message = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
  const truncated = /truncat|premature|end of (file|data|stream)|unexpected end/i.test(message);
  return new ImageFileError(
    truncated ? "truncated" : "undecodable",
    `cannot decode image${message === "" ? "" : `: ${message}`}`,
  );
}

interface Decoded {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
  /** From the file's own metadata, where it has any. */
  readonly fileResolutionPpi: number | undefined;
}

function decodeRaw(bytes: Uint8Array, size: { width: number; height: number }): Decoded {
  const { width, height } = size;
  if (bytes.length < width * height) {
    throw new ImageFileError(
      "truncated",
      `raw image has ${bytes.length} bytes, ${width}x${height} needs ${width * height}`,
    );
  }
  if (bytes.length > width * height) {
    throw new ImageFileError(
      "undecodable",
      `raw image has ${bytes.length} bytes, more than ${width}x${height} at 8 bits per pixel`,
    );
  }
  return { width, height, pixels: bytes, fileResolutionPpi: undefined };
}

async function decodeWithSharp(bytes: Uint8Array): Promise<Decoded> {
  try {
    // failOn "truncated" rejects a cut-off file instead of returning its top half.
    const input = sharp(bytes, { failOn: "truncated", limitInputPixels: SIDE_RANGE.max ** 2 });
    const metadata = await input.metadata();
    const { data, info } = await input
      .greyscale()
      .toColourspace("b-w")
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    // sharp reports density in pixels per inch. 72 is what editors write when nobody
    // said, never a fingerprint scan's resolution, so it counts as unknown.
    const density = metadata.density;
    return {
      width: info.width,
      height: info.height,
      pixels: new Uint8Array(data.buffer, data.byteOffset, info.width * info.height),
      fileResolutionPpi:
        density !== undefined && density > 0 && density !== 72 ? Math.round(density) : undefined,
    };
  } catch (error) {
    throw decodeFailure(error);
  }
}

async function resample(image: Decoded, ppi: number): Promise<GreyImage> {
  const width = Math.round((image.width * MEASURED_PPI) / ppi);
  const height = Math.round((image.height * MEASURED_PPI) / ppi);
  checkSize(width, height, `once resampled from ${ppi} to ${MEASURED_PPI} ppi`);
  const data = await sharp(image.pixels, {
    raw: { width: image.width, height: image.height, channels: 1 },
  })
    .resize(width, height, { kernel: "lanczos3", fit: "fill" })
    .toColourspace("b-w")
    .raw({ depth: "uchar" })
    .toBuffer();
  return {
    width,
    height,
    resolutionPpi: MEASURED_PPI,
    pixels: new Uint8Array(data.buffer, data.byteOffset, width * height),
  };
}

/**
 * Decodes a PNG, PGM or raw 8-bit image (or anything else sharp reads) to the 500 ppi
 * grey image the quality measures take. The resolution is the caller's, else the file's
 * (a PNG's pHYs), else 500 ppi, the norm for fingerprint sensors; any other is resampled.
 * Throws ImageFileError, whose message never includes pixel data.
 */
export async function decodeFingerImage(
  bytes: Uint8Array,
  options: DecodeOptions = {},
): Promise<GreyImage> {
  if (bytes.length === 0) throw new ImageFileError("undecodable", "image file is empty");
  let decoded: Decoded;
  if (options.raw !== undefined) decoded = decodeRaw(bytes, options.raw);
  else if (looksLikePgm(bytes)) decoded = { ...decodePgm(bytes), fileResolutionPpi: undefined };
  else if (isTruncatedPng(bytes)) {
    throw new ImageFileError("truncated", "PNG is truncated: it stops before its end chunk");
  } else decoded = await decodeWithSharp(bytes);
  const ppi = options.resolutionPpi ?? decoded.fileResolutionPpi ?? MEASURED_PPI;
  checkResolution(ppi, options.resolutionPpi === undefined ? "the file's" : "the given");
  if (ppi !== MEASURED_PPI) return resample(decoded, ppi);
  checkSize(decoded.width, decoded.height, `at ${MEASURED_PPI} ppi`);
  return {
    width: decoded.width,
    height: decoded.height,
    resolutionPpi: MEASURED_PPI,
    pixels: decoded.pixels,
  };
}
