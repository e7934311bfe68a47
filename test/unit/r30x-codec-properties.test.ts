import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPid, Pid } from "../../drivers/r30x/constants.js";
import {
  encodeFrame,
  frameChecksum,
  HEADER_LENGTH,
  MAX_FRAME_LENGTH,
  MAX_LENGTH_FIELD,
  MAX_PAYLOAD_LENGTH,
  MIN_LENGTH_FIELD,
  type R30xFrame,
} from "../../drivers/r30x/frame.js";
import { FrameParser } from "../../drivers/r30x/parser.js";

const PIDS = Object.values(Pid);

const frameArb: fc.Arbitrary<R30xFrame> = fc.record({
  address: fc.oneof(fc.constant(0xff_ff_ff_ff), fc.integer({ min: 0, max: 0xff_ff_ff_ff })),
  pid: fc.constantFrom(...PIDS),
  payload: fc.uint8Array({ minLength: 1, maxLength: MAX_PAYLOAD_LENGTH }),
});

/** Bytes that often look like the start of a frame, so the parser's header checks get exercised. */
const byteArb = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 255 }), weight: 3 },
  { arbitrary: fc.constantFrom(0xef, 0x01, 0x02, 0x07, 0x08, 0x00, 0xff), weight: 2 },
);
/** A plausible header whose frame never arrives intact: it makes the parser wait, then resync. */
const headerArb = fc
  .tuple(
    fc.integer({ min: 0, max: 0xff_ff_ff_ff }),
    fc.constantFrom(...PIDS),
    fc.integer({ min: MIN_LENGTH_FIELD, max: MAX_LENGTH_FIELD }),
  )
  .map(([address, pid, length]) => {
    const bytes = new Uint8Array(HEADER_LENGTH);
    const view = new DataView(bytes.buffer);
    view.setUint16(0, 0xef01);
    view.setUint32(2, address);
    view.setUint8(6, pid);
    view.setUint16(7, length);
    return [...bytes];
  });
const garbageArb = fc
  .array(fc.oneof({ arbitrary: byteArb.map((b) => [b]), weight: 20 }, headerArb), {
    maxLength: 300,
  })
  .map((pieces) => Uint8Array.from(pieces.flat()));

/** Streams of good frames, damaged frames and noise. */
const streamArb = fc
  .array(
    fc.oneof(
      frameArb.map(encodeFrame),
      garbageArb,
      fc.tuple(frameArb, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([frame, at, value]) => {
        const bytes = encodeFrame(frame);
        bytes[at % bytes.length] = value;
        return bytes;
      }),
      fc
        .tuple(frameArb, fc.nat())
        .map(([frame, cut]) => encodeFrame(frame).subarray(0, cut % (HEADER_LENGTH + 3))),
    ),
    { maxLength: 8 },
  )
  .map(concat);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/** Feeds `chunks` in order, checking the parser's buffer bound after every push. */
function parse(chunks: Iterable<Uint8Array>): R30xFrame[] {
  const frames: R30xFrame[] = [];
  const parser = new FrameParser({ onFrame: (frame) => frames.push(frame) });
  for (const chunk of chunks) {
    parser.push(chunk);
    expect(parser.bufferedBytes).toBeLessThan(MAX_FRAME_LENGTH);
  }
  return frames;
}

/** Cuts `bytes` at the given points (taken modulo its length). */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  return [0, ...points].map((start, i) => bytes.subarray(start, points[i] ?? bytes.length));
}

/**
 * The framing rules written out plainly: at each offset, accept a complete frame
 * with a valid header and checksum and jump past it, otherwise move one byte on;
 * stop where a plausible frame runs past the end of the input.
 */
function referenceScan(bytes: Uint8Array): { offset: number; end: number; frame: R30xFrame }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const found: { offset: number; end: number; frame: R30xFrame }[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] !== 0xef) {
      i++;
      continue;
    }
    if (i + 2 > bytes.length) break;
    if (bytes[i + 1] !== 0x01) {
      i++;
      continue;
    }
    if (i + HEADER_LENGTH > bytes.length) break;
    const pid = view.getUint8(i + 6);
    const length = view.getUint16(i + 7);
    if (!isPid(pid) || length < MIN_LENGTH_FIELD || length > MAX_LENGTH_FIELD) {
      i++;
      continue;
    }
    const end = i + HEADER_LENGTH + length;
    if (end > bytes.length) break;
    const payload = bytes.slice(i + HEADER_LENGTH, end - 2);
    if (view.getUint16(end - 2) !== frameChecksum(pid, length, payload)) {
      i++;
      continue;
    }
    found.push({ offset: i, end, frame: { address: view.getUint32(i + 2), pid, payload } });
    i = end;
  }
  return found;
}

describe("R30x codec properties", () => {
  it("decodes what it encodes for any address, PID and payload length", () => {
    fc.assert(
      fc.property(
        frameArb,
        fc.uint8Array({ minLength: 0, maxLength: MAX_PAYLOAD_LENGTH }),
        (frame, payload) => {
          const candidate = { ...frame, payload };
          if (payload.length === 0) {
            // A frame always carries at least an instruction or confirmation byte.
            expect(() => encodeFrame(candidate)).toThrow(RangeError);
            return;
          }
          const bytes = encodeFrame(candidate);
          expect(bytes.length).toBe(HEADER_LENGTH + payload.length + 2);
          expect(parse([bytes])).toEqual([candidate]);
        },
      ),
    );
  });

  it("never throws on random bytes and only yields frames that were on the wire intact", () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 20 }), (stream, cuts) => {
        const frames = parse(split(stream, cuts));
        const expected = referenceScan(stream);
        expect(frames).toEqual(expected.map((found) => found.frame));
        for (const { offset, end, frame } of expected) {
          expect(encodeFrame(frame)).toEqual(stream.subarray(offset, end));
        }
      }),
    );
  });

  it("keeps at most one partial frame buffered however the bytes arrive", () => {
    fc.assert(
      fc.property(fc.array(garbageArb, { minLength: 1, maxLength: 40 }), (chunks) => {
        parse(chunks);
      }),
    );
  });

  it("recovers a valid frame hidden anywhere in garbage", () => {
    fc.assert(
      fc.property(garbageArb, frameArb, garbageArb, (before, frame, after) => {
        // Enough trailing bytes that any header announced in the garbage is complete.
        const padding = new Uint8Array(MAX_FRAME_LENGTH);
        const stream = concat([before, encodeFrame(frame), padding, after]);
        const found = referenceScan(stream);
        const start = before.length;
        // Only a frame that happens to be valid and to swallow ours may hide it.
        const swallowed = found.some(({ offset, end }) => offset < start && end > start);
        if (!swallowed) expect(found.map((f) => f.offset)).toContain(start);
        expect(parse([stream])).toEqual(found.map((f) => f.frame));
      }),
    );
  });

  it("decodes identically whichever byte a stream is split at", () => {
    fc.assert(
      fc.property(streamArb, (stream) => {
        const whole = parse([stream]);
        for (let cut = 1; cut < stream.length; cut++) {
          expect(parse([stream.subarray(0, cut), stream.subarray(cut)])).toEqual(whole);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("decodes identically when fed one byte at a time", () => {
    fc.assert(
      fc.property(streamArb, (stream) => {
        const bytes = Array.from(stream, (byte) => Uint8Array.of(byte));
        expect(parse(bytes)).toEqual(parse([stream]));
      }),
    );
  });
});
