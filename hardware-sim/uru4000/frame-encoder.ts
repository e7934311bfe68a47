import {
  BLOCK_COUNT,
  BlockFlag,
  HeaderOffset,
  IMAGE_HEADER_LENGTH,
  IMAGE_HEIGHT,
  IMAGE_WIDTH,
} from "../../drivers/uru4000/constants.js";
import { obfuscate, skipKey } from "../../drivers/uru4000/keystream.js";

export interface EncodedBlock {
  readonly flags: number;
  readonly lines: number;
}

/**
 * How a simulated reader lays out one frame: the first line is left out (the real
 * readers send 289 of the 290 lines), the rest travel in blocks that are obfuscated,
 * plain, or plain without advancing the key, and one block switches to the next key.
 */
export function blockLayout(obfuscated: boolean): readonly EncodedBlock[] {
  const sizes = [40, 40, 40, 40, 40, 40, 40, 9];
  const blocks: EncodedBlock[] = [{ flags: BlockFlag.NotPresent, lines: 1 }];
  sizes.forEach((lines, i) => {
    let flags = 0;
    if (obfuscated) {
      flags = i === 2 ? BlockFlag.NoKeyUpdate : i === 4 ? 0 : BlockFlag.Obfuscated;
      if (i === 5) flags |= BlockFlag.ChangeKey;
    }
    blocks.push({ flags, lines });
  });
  return blocks;
}

/**
 * What the reader sends for `pixels` (dark ridges, upright): ridges made bright, turned
 * by 180 degrees where the model's optics do, obfuscated under `keyFor(n)` per the layout.
 */
export function encodeFrame(
  pixels: Uint8Array,
  options: {
    readonly blocks: readonly EncodedBlock[];
    readonly rotated: boolean;
    readonly keyNumber: number;
    readonly keyFor: (keyNumber: number) => number;
  },
): Uint8Array {
  if (pixels.length !== IMAGE_WIDTH * IMAGE_HEIGHT) {
    throw new RangeError(
      `expected a ${IMAGE_WIDTH}x${IMAGE_HEIGHT} image, got ${pixels.length} bytes`,
    );
  }
  if (options.blocks.length > BLOCK_COUNT) throw new RangeError(`at most ${BLOCK_COUNT} blocks`);
  const raw = pixels.map((value) => 255 - value);
  if (options.rotated) raw.reverse();
  const sentLines = options.blocks
    .filter((block) => (block.flags & BlockFlag.NotPresent) === 0)
    .reduce((sum, block) => sum + block.lines, 0);
  const frame = new Uint8Array(IMAGE_HEADER_LENGTH + sentLines * IMAGE_WIDTH);
  const view = new DataView(frame.buffer);
  view.setUint16(HeaderOffset.LineCount, sentLines, true);
  frame[HeaderOffset.KeyNumber] = options.keyNumber;

  let keyNumber = options.keyNumber;
  let key = options.keyFor(keyNumber);
  let row = 0;
  let out = IMAGE_HEADER_LENGTH;
  options.blocks.forEach((block, i) => {
    frame[HeaderOffset.Blocks + 2 * i] = block.flags;
    frame[HeaderOffset.Blocks + 2 * i + 1] = block.lines;
    if (block.flags & BlockFlag.ChangeKey) {
      keyNumber = (keyNumber + 1) & 0xff;
      key = options.keyFor(keyNumber);
    }
    const bytes = block.lines * IMAGE_WIDTH;
    const present = (block.flags & BlockFlag.NotPresent) === 0;
    const plain = raw.subarray(row * IMAGE_WIDTH, row * IMAGE_WIDTH + bytes);
    const mode = block.flags & (BlockFlag.NoKeyUpdate | BlockFlag.Obfuscated);
    if (mode === BlockFlag.Obfuscated && present) {
      const encoded = obfuscate(plain, key);
      frame.set(encoded.data, out);
      key = encoded.nextKey;
    } else {
      if (present) frame.set(plain, out);
      if (mode === 0 || mode === BlockFlag.Obfuscated) key = skipKey(key, bytes);
    }
    row += block.lines;
    if (present) out += bytes;
  });
  return frame;
}
