import { ImageFileError } from "./image-file-error.js";

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);
const HASH = 0x23;

export interface PgmImage {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

/** True when `bytes` start like a binary PGM. */
export function looksLikePgm(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x35 && WHITESPACE.has(bytes[2] ?? 0);
}

/** Decodes an 8-bit binary PGM (P5); PGM carries no resolution, so the caller knows it. */
export function decodePgm(bytes: Uint8Array): PgmImage {
  let offset = 0;
  const latin1 = new TextDecoder("latin1");

  // Header tokens are separated by whitespace and may be interleaved with
  // "#" comments running to the end of the line.
  const nextToken = (): string => {
    for (;;) {
      const byte = bytes[offset];
      if (byte === undefined) throw new ImageFileError("truncated", "PGM header ends early");
      if (byte === HASH) {
        while (offset < bytes.length && bytes[offset] !== 0x0a) offset++;
      } else if (WHITESPACE.has(byte)) {
        offset++;
      } else {
        break;
      }
    }
    const start = offset;
    while (offset < bytes.length && !WHITESPACE.has(bytes[offset] ?? 0) && bytes[offset] !== HASH) {
      offset++;
    }
    return latin1.decode(bytes.subarray(start, offset));
  };
  const nextInteger = (field: string): number => {
    const token = nextToken();
    if (!/^\d{1,9}$/.test(token)) {
      throw new ImageFileError("undecodable", `PGM ${field} is not a number`);
    }
    return Number(token);
  };

  if (nextToken() !== "P5") throw new ImageFileError("undecodable", "not a binary PGM (P5)");
  const width = nextInteger("width");
  const height = nextInteger("height");
  const maxValue = nextInteger("maximum grey value");
  if (width === 0 || height === 0) throw new ImageFileError("out-of-range", "PGM has no pixels");
  if (maxValue !== 255) {
    throw new ImageFileError(
      "undecodable",
      `only 8-bit PGM (maximum grey value 255) is supported, this one has ${maxValue}`,
    );
  }
  // Exactly one whitespace byte separates the header from the pixels, which may
  // themselves start with a whitespace value.
  offset++;
  const end = offset + width * height;
  if (end > bytes.length) {
    throw new ImageFileError(
      "truncated",
      `PGM pixel data is truncated: ${bytes.length - offset} of ${width * height} bytes`,
    );
  }
  return { width, height, pixels: new Uint8Array(bytes.subarray(offset, end)) };
}
