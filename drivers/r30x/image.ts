import { SensorError } from "../sensor.js";

/**
 * UpImage carries 4 bits a pixel, two pixels a byte, the left pixel in the high
 * nibble. x17 maps 0..15 onto 0..255 exactly (15 x 17 = 255).
 */
const NIBBLE_SCALE = 17;

/** Bytes UpImage sends for an image of this size. */
export function packedImageLength(width: number, height: number): number {
  const pixels = width * height;
  if (!Number.isInteger(pixels) || pixels <= 0 || pixels % 2 !== 0) {
    throw new RangeError(
      `an R30x image needs an even, positive pixel count, got ${width}x${height}`,
    );
  }
  return pixels / 2;
}

/** The 8-bit value a pixel comes back as after travelling at 4-bit depth. */
export function quantiseTo4Bits(value: number): number {
  return (value >> 4) * NIBBLE_SCALE;
}

/** Expands an UpImage transfer into 8-bit greyscale, row-major. */
export function unpackImage(packed: Uint8Array, width: number, height: number): Uint8Array {
  const expected = packedImageLength(width, height);
  if (packed.length !== expected) {
    throw new SensorError(
      "protocol",
      `image upload carried ${packed.length} bytes, expected ${expected} for ${width}x${height}`,
    );
  }
  const pixels = new Uint8Array(expected * 2);
  for (let i = 0, o = 0; i < expected; i++, o += 2) {
    const byte = packed[i] ?? 0;
    pixels[o] = (byte >> 4) * NIBBLE_SCALE;
    pixels[o + 1] = (byte & 0x0f) * NIBBLE_SCALE;
  }
  return pixels;
}

/** Keeps the upper 4 bits of each pixel, as the module does before sending. */
export function packImage(pixels: Uint8Array): Uint8Array {
  const packed = new Uint8Array(packedImageLength(pixels.length, 1));
  for (let o = 0, i = 0; o < packed.length; o++, i += 2) {
    packed[o] = ((pixels[i] ?? 0) & 0xf0) | ((pixels[i + 1] ?? 0) >> 4);
  }
  return packed;
}
