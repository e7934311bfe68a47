import { decode, encode } from "cborg";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCbor } from "../../agent/records/record-codec.js";

/** cborg's own decoding, with the options decodeCbor uses: the reference for every case. */
function decodeCopying(bytes: Uint8Array): unknown {
  return decode(bytes, {
    rejectDuplicateMapKeys: true,
    allowUndefined: false,
    allowInfinity: false,
    allowNaN: false,
  });
}

function outcome(decoder: (bytes: Uint8Array) => unknown, bytes: Uint8Array): unknown {
  try {
    return { value: decoder(bytes) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

describe("byte strings decoded as views", () => {
  it("decodes every length encoding like cborg does, from inside a larger buffer", () => {
    // 0-23 inline, 24 and 255 in one length byte, 256 and 65,535 in two, 65,536 in four.
    for (const length of [0, 1, 23, 24, 255, 256, 65_535, 65_536, 150_000]) {
      const bytes = Uint8Array.from({ length }, (_, index) => (index * 7 + length) & 0xff);
      const encoded = encode({ image: bytes, tail: "x", nested: [bytes.subarray(0, 3)] });
      const framed = Buffer.concat([Buffer.from([9, 9, 9]), encoded, Buffer.from([8])]);
      const inside = framed.subarray(3, 3 + encoded.length);
      const decoded = decodeCbor(inside) as { image: Uint8Array; nested: Uint8Array[] };
      expect(decoded).toEqual(decodeCopying(encoded));
      expect(decoded.image.length).toBe(length);
    }
  });

  it("shares memory with the input instead of copying it", () => {
    const input = Buffer.from(encode({ pixels: new Uint8Array([1, 2, 3, 4]) }));
    const decoded = decodeCbor(input) as { pixels: Uint8Array };
    expect(decoded.pixels.buffer).toBe(input.buffer);
    input[input.length - 1] = 99;
    expect([...decoded.pixels]).toEqual([1, 2, 3, 99]);
  });

  it("refuses a byte string longer than what is left, as cborg does", () => {
    const encoded = encode({ pixels: new Uint8Array(300) });
    for (const cut of [1, 2, 3, 100, 299]) {
      const truncated = encoded.subarray(0, encoded.length - cut);
      expect(() => decodeCbor(truncated)).toThrow();
      expect(outcome(decodeCbor, truncated)).toEqual(outcome(decodeCopying, truncated));
    }
  });

  it("agrees with cborg on arbitrary and damaged input", () => {
    const value = fc.letrec((tie) => ({
      item: fc.oneof(
        { depthSize: "small" },
        fc.uint8Array({ maxLength: 400 }),
        fc.string(),
        fc.integer(),
        fc.boolean(),
        fc.array(tie("item"), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 6 }), tie("item"), { maxKeys: 4 }),
      ),
    })).item;
    fc.assert(
      fc.property(
        value,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        (item, damage) => {
          const bytes = encode(item);
          for (const [at, byte] of damage) bytes[at % bytes.length] = byte;
          expect(outcome(decodeCbor, bytes)).toEqual(outcome(decodeCopying, bytes));
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
