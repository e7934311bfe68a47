import { quantiseTo4Bits } from "../../drivers/r30x/image.js";
import type { GreyImage } from "../../drivers/sensor.js";
import { mulberry32 } from "../../hardware-sim/prints/prng.js";
import { renderSimplePrint } from "../../hardware-sim/prints/simple-print.js";

/** Traveller `seed`'s right index finger at `width` x `height`. */
export function printImage(width: number, height: number, seed: number): GreyImage {
  return renderSimplePrint({ seed, position: 2, width, height });
}

/** Random grey levels everywhere: a finger is there, but no ridge flow (Img2Tz 0x06). */
export function noiseImage(width: number, height: number, seed = 5): GreyImage {
  const random = mulberry32(seed);
  const pixels = Uint8Array.from({ length: width * height }, () => Math.floor(random() * 256));
  return { width, height, resolutionPpi: 500, pixels };
}

/** A fingertip barely touching: a 60 x 60 patch of a print on a clear platen (Img2Tz 0x07). */
export function fingertipPatch(width: number, height: number, seed = 1): GreyImage {
  const print = printImage(width, height, seed);
  const pixels = new Uint8Array(width * height).fill(0xff);
  const top = Math.floor(height / 2) - 30;
  const left = Math.floor(width / 2) - 30;
  for (let y = top; y < top + 60; y++) {
    for (let x = left; x < left + 60; x++) pixels[y * width + x] = print.pixels[y * width + x] ?? 0;
  }
  return { width, height, resolutionPpi: 500, pixels };
}

/** The pixels as they come back from a module that keeps 4 bits of each. */
export function quantised(image: GreyImage): Uint8Array {
  return image.pixels.map(quantiseTo4Bits);
}

/**
 * How two byte arrays differ, small enough to print in an assertion: their lengths and
 * how many positions disagree, never the bytes themselves.
 */
export function byteDifference(
  actual: Uint8Array,
  expected: Uint8Array,
): { readonly length: number; readonly mismatches: number } {
  let mismatches = Math.abs(actual.length - expected.length);
  const shared = Math.min(actual.length, expected.length);
  for (let i = 0; i < shared; i++) if (actual[i] !== expected[i]) mismatches++;
  return { length: actual.length, mismatches };
}

/** What byteDifference() gives for identical arrays of `expected`'s length. */
export function identicalTo(expected: Uint8Array): { length: number; mismatches: number } {
  return { length: expected.length, mismatches: 0 };
}
