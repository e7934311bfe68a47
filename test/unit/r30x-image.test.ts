import { describe, expect, it } from "vitest";
import {
  packedImageLength,
  packImage,
  quantiseTo4Bits,
  unpackImage,
} from "../../drivers/r30x/image.js";
import { R30X_MODELS } from "../../drivers/r30x/models.js";
import { isSensorError } from "../../drivers/sensor.js";

describe("R30x 4-bit image packing", () => {
  it("puts the left pixel in the high nibble", () => {
    expect([...packImage(Uint8Array.of(0xa0, 0x30, 0xff, 0x0f))]).toEqual([0xa3, 0xf0]);
    expect([...unpackImage(Uint8Array.of(0xa3, 0xf0), 4, 1)]).toEqual([0xaa, 0x33, 0xff, 0x00]);
  });

  it("scales nibbles by 17 to span 0..255", () => {
    expect([...unpackImage(Uint8Array.of(0x0f, 0x18), 2, 2)]).toEqual([0, 255, 17, 136]);
  });

  it("round-trips every value within one quantisation step", () => {
    const pixels = Uint8Array.from({ length: 256 }, (_, i) => i);
    const back = unpackImage(packImage(pixels), 16, 16);
    for (let i = 0; i < pixels.length; i++) {
      const original = pixels[i] ?? 0;
      expect(back[i]).toBe(quantiseTo4Bits(original));
      expect(Math.abs((back[i] ?? 0) - original)).toBeLessThanOrEqual(15);
    }
    expect(unpackImage(packImage(back), 16, 16)).toEqual(back);
  });

  it("sizes transfers from the model profile", () => {
    const classic = R30X_MODELS.r307;
    const r503 = R30X_MODELS.r503;
    expect(packedImageLength(classic.imageWidth, classic.imageHeight)).toBe(36_864);
    expect(packedImageLength(r503.imageWidth, r503.imageHeight)).toBe(18_432);
    const pixels = unpackImage(
      new Uint8Array(18_432).fill(0x7e),
      r503.imageWidth,
      r503.imageHeight,
    );
    expect(pixels.length).toBe(192 * 192);
    expect(pixels[0]).toBe(7 * 17);
    expect(pixels[1]).toBe(14 * 17);
  });

  it("rejects a transfer of the wrong size with a protocol error naming sizes only", () => {
    let caught: unknown;
    try {
      unpackImage(new Uint8Array(100), 256, 288);
    } catch (error) {
      caught = error;
    }
    expect(isSensorError(caught, "protocol")).toBe(true);
    expect((caught as Error).message).toBe(
      "image upload carried 100 bytes, expected 36864 for 256x288",
    );
  });

  it("refuses odd pixel counts", () => {
    expect(() => packedImageLength(3, 3)).toThrow(RangeError);
  });
});
