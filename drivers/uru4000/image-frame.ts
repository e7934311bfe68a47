import {
  BLOCK_COUNT,
  BlockFlag,
  HeaderOffset,
  IMAGE_HEADER_LENGTH,
  IMAGE_HEIGHT,
  IMAGE_WIDTH,
} from "./constants.js";
import { deobfuscate, skipKey } from "./keystream.js";
import type { Uru4000Profile } from "./models.js";

/** One run of lines in the frame header: how many, and how they travel. */
export interface FrameBlock {
  readonly flags: number;
  readonly lines: number;
}

export interface FrameHeader {
  /** Lines actually on the wire after the header. */
  readonly lineCount: number;
  /** Which obfuscation key the first obfuscated block uses. */
  readonly keyNumber: number;
  readonly blocks: readonly FrameBlock[];
}

export class FrameError extends Error {
  override readonly name = "FrameError";
}

/** Asks the reader for obfuscation key `keyNumber` (a register round trip). */
export type KeySource = (keyNumber: number) => Promise<number>;

/** Reads and checks the 64-byte header and that the transfer is exactly as long as it says. */
export function parseFrame(frame: Uint8Array): FrameHeader {
  if (frame.length === 0) {
    throw new FrameError("empty image transfer (the reader announced a failing scan)");
  }
  if (frame.length < IMAGE_HEADER_LENGTH) {
    throw new FrameError(
      `short image transfer: ${frame.length} bytes, less than the ${IMAGE_HEADER_LENGTH}-byte header`,
    );
  }
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const lineCount = view.getUint16(HeaderOffset.LineCount, true);
  if (lineCount === 0 || lineCount > IMAGE_HEIGHT) {
    throw new FrameError(
      `image header announces ${lineCount} lines; expected 1 to ${IMAGE_HEIGHT}`,
    );
  }
  const expected = IMAGE_HEADER_LENGTH + lineCount * IMAGE_WIDTH;
  if (frame.length !== expected) {
    const what = frame.length < expected ? "short" : "oversized";
    throw new FrameError(
      `${what} image transfer: ${frame.length} bytes, the header announces ${lineCount} lines (${expected} bytes)`,
    );
  }
  const blocks: FrameBlock[] = [];
  let total = 0;
  let present = 0;
  for (let i = 0; i < BLOCK_COUNT; i++) {
    const flags = frame[HeaderOffset.Blocks + 2 * i] ?? 0;
    const lines = frame[HeaderOffset.Blocks + 2 * i + 1] ?? 0;
    if (lines === 0) break;
    blocks.push({ flags, lines });
    total += lines;
    if ((flags & BlockFlag.NotPresent) === 0) present += lines;
  }
  if (total > IMAGE_HEIGHT || present !== lineCount) {
    throw new FrameError(
      `image header blocks describe ${total} lines (${present} sent) but the header announces ${lineCount} sent of at most ${IMAGE_HEIGHT}`,
    );
  }
  return { lineCount, keyNumber: frame[HeaderOffset.KeyNumber] ?? 0, blocks };
}

/**
 * Turns a checked frame into the 384x290 image: removes the obfuscation block by block
 * (fetching a new key where a block asks for one), fills lines the reader left out from
 * their neighbours, and returns dark ridges on a light field, upright.
 */
export async function decodeFrame(
  frame: Uint8Array,
  header: FrameHeader,
  profile: Uru4000Profile,
  keySource: KeySource,
): Promise<Uint8Array> {
  const lines = frame.slice(IMAGE_HEADER_LENGTH);
  if (profile.obfuscation === "always" || looksObfuscated(lines, header)) {
    await removeObfuscation(lines, header, keySource);
  }
  return assemble(lines, header, profile.rotated);
}

async function removeObfuscation(
  lines: Uint8Array,
  header: FrameHeader,
  keySource: KeySource,
): Promise<void> {
  if (!header.blocks.some((block) => block.flags & (BlockFlag.Obfuscated | BlockFlag.ChangeKey))) {
    return;
  }
  let keyNumber = header.keyNumber;
  let key = await keySource(keyNumber);
  let linesDone = 0;
  for (const block of header.blocks) {
    if (block.flags & BlockFlag.ChangeKey) {
      keyNumber = (keyNumber + 1) & 0xff;
      key = await keySource(keyNumber);
    }
    const bytes = block.lines * IMAGE_WIDTH;
    const present = (block.flags & BlockFlag.NotPresent) === 0;
    const mode = block.flags & (BlockFlag.NoKeyUpdate | BlockFlag.Obfuscated);
    if (mode === BlockFlag.Obfuscated && present) {
      const start = linesDone * IMAGE_WIDTH;
      key = deobfuscate(lines.subarray(start, start + bytes), key);
    } else if (mode === 0 || mode === BlockFlag.Obfuscated) {
      key = skipKey(key, bytes);
    }
    if (present) linesDone += block.lines;
  }
}

function assemble(lines: Uint8Array, header: FrameHeader, rotated: boolean): Uint8Array {
  const pixels = new Uint8Array(IMAGE_WIDTH * IMAGE_HEIGHT);
  let source = 0;
  let target = 0;
  for (const block of header.blocks) {
    const present = (block.flags & BlockFlag.NotPresent) === 0;
    for (let line = 0; line < block.lines; line++) {
      // A line the reader left out takes the next one it sent (or the last, at the end).
      const from = Math.min(present ? source + line : source, header.lineCount - 1);
      pixels.set(
        lines.subarray(from * IMAGE_WIDTH, (from + 1) * IMAGE_WIDTH),
        target * IMAGE_WIDTH,
      );
      target++;
    }
    if (present) source += block.lines;
  }
  // Rows no block covers stay 0, i.e. white once inverted.
  for (let i = 0; i < pixels.length; i++) pixels[i] = 255 - (pixels[i] ?? 0);
  if (rotated) pixels.reverse();
  return pixels;
}

/** Row-to-row noise far above a print's: the 4000 sent this frame obfuscated. */
const NOISE_THRESHOLD = 5000;

function looksObfuscated(lines: Uint8Array, header: FrameHeader): boolean {
  if (header.lineCount < 2) return false;
  let mean = 0;
  for (let x = 0; x < IMAGE_WIDTH; x++) mean += (lines[x] ?? 0) + (lines[IMAGE_WIDTH + x] ?? 0);
  mean /= IMAGE_WIDTH;
  let spread = 0;
  for (let x = 0; x < IMAGE_WIDTH; x++) {
    const deviation = (lines[x] ?? 0) + (lines[IMAGE_WIDTH + x] ?? 0) - mean;
    spread += deviation * deviation;
  }
  return spread / IMAGE_WIDTH >= NOISE_THRESHOLD;
}
