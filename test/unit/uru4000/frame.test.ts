import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BlockFlag,
  HeaderOffset,
  IMAGE_HEADER_LENGTH,
  IMAGE_HEIGHT,
  IMAGE_WIDTH,
} from "../../../drivers/uru4000/constants.js";
import { decodeFrame, FrameError, parseFrame } from "../../../drivers/uru4000/image-frame.js";
import { deobfuscate, nextKey, obfuscate } from "../../../drivers/uru4000/keystream.js";
import { URU4000_MODELS } from "../../../drivers/uru4000/models.js";
import { blockLayout, encodeFrame } from "../../../hardware-sim/uru4000/frame-encoder.js";

const keyFor = (n: number): number => (0x1234_5678 ^ Math.imul(n + 7, 0x9e37_79b1)) >>> 0;

/** A ridge-like test image: stripes plus a gradient, every row different. */
function testImage(): Uint8Array {
  const pixels = new Uint8Array(IMAGE_WIDTH * IMAGE_HEIGHT);
  for (let y = 0; y < IMAGE_HEIGHT; y++) {
    for (let x = 0; x < IMAGE_WIDTH; x++) {
      pixels[y * IMAGE_WIDTH + x] = (Math.sin((x + y) / 3) > 0 ? 60 : 200) + ((x * 7 + y * 3) % 40);
    }
  }
  return pixels;
}

/** Pixels the protocol itself loses: the last byte of each obfuscated block, and the row not sent. */
function mismatches(a: Uint8Array, b: Uint8Array, skipRows: readonly number[]): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (skipRows.includes(Math.floor(i / IMAGE_WIDTH))) continue;
    if (a[i] !== b[i]) count++;
  }
  return count;
}

describe("U.are.U keystream", () => {
  it("deobfuscate undoes obfuscate, except the one byte the shift drops", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2, maxLength: 300 }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (plain, key) => {
          const { data, nextKey: after } = obfuscate(plain, key);
          const decoded = data.slice();
          expect(deobfuscate(decoded, key)).toBe(after);
          expect(decoded.subarray(0, plain.length - 1)).toEqual(
            plain.subarray(0, plain.length - 1),
          );
          expect(decoded[plain.length - 1]).toBe(0);
        },
      ),
    );
  });

  it("shifts the register right and feeds the parity of the tapped bits in at the top", () => {
    expect(nextKey(0)).toBe(0);
    expect(nextKey(1)).toBe(0x8000_0000); // bit 0 is tapped
    expect(nextKey(2)).toBe(1); // bit 1 is not
    expect(nextKey(0x9248_144d)).toBe(0xc924_0a26); // eleven taps: odd parity, top bit set
  });
});

describe("U.are.U frame", () => {
  const image = testImage();

  for (const model of ["uru4000", "uru4000b", "uru4500"] as const) {
    it(`decodes what a ${model} sends back to the upright image`, async () => {
      const profile = URU4000_MODELS[model];
      const obfuscated = profile.obfuscation === "always";
      const blocks = blockLayout(obfuscated);
      const frame = encodeFrame(image, { blocks, rotated: profile.rotated, keyNumber: 3, keyFor });
      const header = parseFrame(frame);
      expect(header.lineCount).toBe(IMAGE_HEIGHT - 1);
      const requested: number[] = [];
      const pixels = await decodeFrame(frame, header, profile, (n) => {
        requested.push(n);
        return Promise.resolve(keyFor(n));
      });
      expect(pixels).toHaveLength(IMAGE_WIDTH * IMAGE_HEIGHT);
      // The row left out is filled from its neighbour; obfuscated blocks lose one byte each.
      const missingRow = profile.rotated ? IMAGE_HEIGHT - 1 : 0;
      const lost = blocks.filter((b) => b.flags & BlockFlag.Obfuscated).length;
      expect(mismatches(pixels, image, [missingRow])).toBeLessThanOrEqual(lost);
      expect(requested).toEqual(obfuscated ? [3, 4] : []);
    });
  }

  it("notices a 4000 frame that arrives obfuscated and decodes it", async () => {
    const profile = URU4000_MODELS.uru4000;
    const frame = encodeFrame(image, {
      blocks: blockLayout(true),
      rotated: true,
      keyNumber: 0,
      keyFor,
    });
    const pixels = await decodeFrame(frame, parseFrame(frame), profile, (n) =>
      Promise.resolve(keyFor(n)),
    );
    expect(mismatches(pixels, image, [IMAGE_HEIGHT - 1])).toBeLessThanOrEqual(6);
  });

  it("rejects empty, short, oversized and inconsistent transfers with a clear message", () => {
    const frame = encodeFrame(image, {
      blocks: blockLayout(false),
      rotated: false,
      keyNumber: 0,
      keyFor,
    });
    expect(() => parseFrame(new Uint8Array(0))).toThrow(/empty image transfer/);
    expect(() => parseFrame(frame.subarray(0, 40))).toThrow(/short image transfer: 40 bytes/);
    expect(() => parseFrame(frame.subarray(0, frame.length - 384))).toThrow(
      /short image transfer: .* announces 289 lines/,
    );
    const longer = new Uint8Array(frame.length + 10);
    longer.set(frame);
    expect(() => parseFrame(longer)).toThrow(/oversized image transfer/);
    const zeroLines = frame.slice(0, IMAGE_HEADER_LENGTH);
    zeroLines.fill(0, HeaderOffset.LineCount, HeaderOffset.LineCount + 2);
    expect(() => parseFrame(zeroLines)).toThrow(/announces 0 lines/);
    const badBlocks = frame.slice();
    badBlocks[HeaderOffset.Blocks + 3] = 39; // second block one line shorter than the line count says
    expect(() => parseFrame(badBlocks)).toThrow(FrameError);
  });

  it("never throws anything but FrameError on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        try {
          parseFrame(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(FrameError);
        }
      }),
    );
  });
});
