import { isPid, START_CODE_HIGH, START_CODE_LOW } from "./constants.js";
import {
  CHECKSUM_LENGTH,
  frameChecksum,
  HEADER_LENGTH,
  MAX_FRAME_LENGTH,
  MAX_LENGTH_FIELD,
  MIN_LENGTH_FIELD,
  type R30xFrame,
} from "./frame.js";

/**
 * Why bytes were dropped. A rejected header drops only its first byte, because a
 * real start code may hide inside what looked like a frame (a frame cut short by
 * line noise followed by a good one).
 */
export type ParserDiscard =
  | { readonly reason: "garbage"; readonly byteCount: number }
  | { readonly reason: "bad-pid" | "bad-length"; readonly byteCount: 1 }
  | {
      readonly reason: "bad-checksum";
      readonly byteCount: 1;
      /** Who the damaged frame was for; the module answers those addressed to it. */
      readonly address: number;
    };

export interface FrameParserHandlers {
  onFrame(frame: R30xFrame): void;
  onDiscard?(discard: ParserDiscard): void;
}

/**
 * Turns a byte stream into frames. Memory stays bounded whatever arrives: at most
 * one incomplete frame is kept between chunks, so the buffer never holds more
 * than MAX_FRAME_LENGTH - 1 bytes once push() returns.
 */
export class FrameParser {
  // Twice the largest frame: after a parse pass at least one whole frame fits behind the kept tail.
  readonly #buffer = new Uint8Array(2 * MAX_FRAME_LENGTH);
  #start = 0;
  #end = 0;

  constructor(private readonly handlers: FrameParserHandlers) {}

  /** Bytes held back waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      this.#compact();
      const count = Math.min(this.#buffer.length - this.#end, chunk.length - offset);
      this.#buffer.set(chunk.subarray(offset, offset + count), this.#end);
      this.#end += count;
      offset += count;
      this.#parse();
    }
  }

  /** Forgets a partly received frame, e.g. after a timeout or when the line changes hands. */
  reset(): void {
    this.#start = 0;
    this.#end = 0;
  }

  #compact(): void {
    if (this.#start === 0) return;
    this.#buffer.copyWithin(0, this.#start, this.#end);
    this.#end -= this.#start;
    this.#start = 0;
  }

  #parse(): void {
    const buffer = this.#buffer;
    let garbage = 0;
    const dropGarbage = (count: number): void => {
      this.#start += count;
      garbage += count;
    };
    const flushGarbage = (): void => {
      if (garbage > 0) this.handlers.onDiscard?.({ reason: "garbage", byteCount: garbage });
      garbage = 0;
    };

    while (this.#start < this.#end) {
      const start = this.#start;
      const available = this.#end - start;
      if (buffer[start] !== START_CODE_HIGH) {
        dropGarbage(1);
        continue;
      }
      if (available < 2) break;
      if (buffer[start + 1] !== START_CODE_LOW) {
        dropGarbage(1);
        continue;
      }
      if (available < HEADER_LENGTH) break;

      const pid = buffer[start + 6] ?? 0;
      if (!isPid(pid)) {
        flushGarbage();
        this.#start += 1;
        this.handlers.onDiscard?.({ reason: "bad-pid", byteCount: 1 });
        continue;
      }
      const lengthField = ((buffer[start + 7] ?? 0) << 8) | (buffer[start + 8] ?? 0);
      if (lengthField < MIN_LENGTH_FIELD || lengthField > MAX_LENGTH_FIELD) {
        flushGarbage();
        this.#start += 1;
        this.handlers.onDiscard?.({ reason: "bad-length", byteCount: 1 });
        continue;
      }
      const frameLength = HEADER_LENGTH + lengthField;
      if (available < frameLength) break;

      const view = new DataView(buffer.buffer, buffer.byteOffset + start, frameLength);
      const address = view.getUint32(2);
      const payloadEnd = start + frameLength - CHECKSUM_LENGTH;
      const payload = buffer.subarray(start + HEADER_LENGTH, payloadEnd);
      const received = view.getUint16(frameLength - CHECKSUM_LENGTH);
      flushGarbage();
      if (received !== frameChecksum(pid, lengthField, payload)) {
        this.#start += 1;
        this.handlers.onDiscard?.({ reason: "bad-checksum", byteCount: 1, address });
        continue;
      }
      this.#start += frameLength;
      // Copy: the buffer is reused, the frame may outlive this call.
      this.handlers.onFrame({ address, pid, payload: payload.slice() });
    }
    flushGarbage();
    if (this.#start === this.#end) this.reset();
  }
}
