import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { packageRoot } from "../../agent/package-root.js";
import { decodePgm } from "../../agent/quality/image-file/pgm.js";
import type { GreyImage } from "../../drivers/sensor.js";

/**
 * Reads an 8-bit binary PGM (P5). PGM carries no resolution, so the caller states it;
 * the NIST reference images are 500 ppi.
 */
export function readPgm(path: string, resolutionPpi = 500): GreyImage {
  try {
    return { ...decodePgm(readFileSync(path)), resolutionPpi };
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * NIST's NFIQ 2 example images, kept in ../shared beside the checkout (whatever the
 * working directory, and from source or dist/ alike).
 */
export function nistReferenceImagePath(name: string): string {
  return resolve(packageRoot().dir, "..", "shared", "reference", "nfiq2-sfinge", name);
}
