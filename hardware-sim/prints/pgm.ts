import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { packageRoot } from "../../agent/package-root.js";
import type { GreyImage } from "../../drivers/sensor.js";

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);
const HASH = 0x23;

/**
 * Reads an 8-bit binary PGM (P5). PGM carries no resolution, so the caller states it;
 * the NIST reference images are 500 ppi.
 */
export function readPgm(path: string, resolutionPpi = 500): GreyImage {
  const bytes = readFileSync(path);
  let offset = 0;

  // Header tokens are separated by whitespace and may be interleaved with
  // "#" comments running to the end of the line.
  const nextToken = (): string => {
    for (;;) {
      const byte = bytes[offset];
      if (byte === undefined) throw new Error(`${path}: PGM header ends early`);
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
    return bytes.toString("latin1", start, offset);
  };
  const nextInteger = (field: string): number => {
    const token = nextToken();
    if (!/^\d+$/.test(token)) throw new Error(`${path}: PGM ${field} is not a number`);
    return Number(token);
  };

  if (nextToken() !== "P5") throw new Error(`${path}: not a binary PGM (P5)`);
  const width = nextInteger("width");
  const height = nextInteger("height");
  const maxValue = nextInteger("maximum grey value");
  if (width === 0 || height === 0) throw new Error(`${path}: PGM has no pixels`);
  if (maxValue !== 255) {
    throw new Error(`${path}: only 0-255 PGM is supported, maximum grey value is ${maxValue}`);
  }
  // Exactly one whitespace byte separates the header from the pixels, which may
  // themselves start with a whitespace value.
  offset++;
  const end = offset + width * height;
  if (end > bytes.length) throw new Error(`${path}: PGM pixel data is truncated`);
  return { width, height, resolutionPpi, pixels: new Uint8Array(bytes.subarray(offset, end)) };
}

/**
 * NIST's NFIQ 2 example images, kept in ../shared beside the checkout (whatever the
 * working directory, and from source or dist/ alike).
 */
export function nistReferenceImagePath(name: string): string {
  return resolve(packageRoot().dir, "..", "shared", "reference", "nfiq2-sfinge", name);
}
