import type { GreyImage } from "../../drivers/sensor.js";

/**
 * A deterministic image that uses every grey level and differs between its two
 * pixels of each byte, so nibble-order and scaling mistakes show up. Not a
 * fingerprint: for protocol tests and benchmarks, where the content only needs
 * to be checkable.
 */
export function syntheticImage(width: number, height: number, seed = 1): GreyImage {
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      pixels[y * width + x] = (x * 7 + y * 13 + seed * 31 + ((x ^ y) & 0x1f)) & 0xff;
    }
  }
  return { width, height, resolutionPpi: 500, pixels };
}
