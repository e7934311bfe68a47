/**
 * V8 spends far longer per loop iteration than per arithmetic operation on a typed array,
 * so the full-resolution passes (block sums, gradients, the erosion before the region of
 * interest's blur) work on four pixels at a time: rows padded to whole 32-bit words, each
 * word holding four 8-bit pixels, the leftmost in the lowest byte (a little-endian layout,
 * which every CPU Node runs on for terminals uses).
 */
export interface WordImage {
  readonly width: number;
  readonly height: number;
  /** Words per row; bytes past `width` in a row's last word are padding. */
  readonly wordsPerRow: number;
  readonly words: Uint32Array;
  /** The same memory as bytes, for per-pixel access: pixel (x, y) is bytes[y * 4 * wordsPerRow + x]. */
  readonly bytes: Uint8Array;
}

const HIGH_BITS = 0x80808080 | 0;
const LOW_BITS = 0x7f7f7f7f;
/** The two bytes of each 16-bit half: lanes for summing bytes without carries. */
export const EVEN_BYTES = 0x00ff00ff;

export function emptyWordImage(width: number, height: number): WordImage {
  const wordsPerRow = Math.ceil(width / 4);
  const bytes = new Uint8Array(wordsPerRow * 4 * height);
  return { width, height, wordsPerRow, words: new Uint32Array(bytes.buffer), bytes };
}

/** A copy of `pixels` in word rows, the bytes past `width` set to 255. */
export function toWordImage(pixels: Uint8Array, width: number, height: number): WordImage {
  if (new Uint8Array(Uint32Array.of(1).buffer)[0] !== 1) {
    throw new Error("ISO/IEC 29794-4 measures need a little-endian CPU");
  }
  const image = emptyWordImage(width, height);
  const stride = image.wordsPerRow * 4;
  if (stride === width) {
    image.bytes.set(pixels.subarray(0, width * height));
    return image;
  }
  image.bytes.fill(255);
  for (let y = 0; y < height; y++) {
    image.bytes.set(pixels.subarray(y * width, (y + 1) * width), y * stride);
  }
  return image;
}

/**
 * Bytewise minimum of two words of 7-bit values. With each byte's top bit free,
 * (a | 0x80) - b keeps every byte's difference to itself, and its top bit says a >= b;
 * the full 8-bit comparison costs twice as many operations.
 */
function minHalves(a: number, b: number): number {
  const ge = ((a | HIGH_BITS) - b) & HIGH_BITS;
  return a ^ ((a ^ b) & (ge - (ge >>> 7)));
}

/**
 * The 5x5 minimum filter NFIQ 2 applies before its first blur (OpenCV's erode: pixels
 * beyond the edge ignored), of the pixels halved to 7 bits. Halving commutes with the
 * minimum, and the dropped bit averages out in the cell means the erosion feeds (under a
 * tenth of a grey level, against the blur's own approximation of a few levels), while it
 * halves the cost of the bytewise minimum.
 */
export function erodeHalved(source: WordImage): WordImage {
  const { width, height, wordsPerRow: n, words } = source;
  const out = emptyWordImage(width, height);
  const eroded = out.words;
  const band = new Int32Array(4 * n);
  // Rows beyond the edge repeat the edge row, which changes no minimum.
  const rowAt = (y: number): number => Math.min(height - 1, Math.max(0, y)) * n;
  const halved = (at: number): number => ((words[at] as number) >>> 1) & LOW_BITS;
  for (let top = 0; top < height; top += 4) {
    // Down the columns first, four rows at a time: rows top-2 .. top+5 feed the four
    // windows, which share their middle, so nine minimums serve four rows instead of
    // sixteen.
    const r0 = rowAt(top - 2);
    const r1 = rowAt(top - 1);
    const r2 = rowAt(top);
    const r3 = rowAt(top + 1);
    const r4 = rowAt(top + 2);
    const r5 = rowAt(top + 3);
    const r6 = rowAt(top + 4);
    const r7 = rowAt(top + 5);
    for (let k = 0; k < n; k++) {
      const w2 = halved(r2 + k);
      const w5 = halved(r5 + k);
      const middle = minHalves(halved(r3 + k), halved(r4 + k));
      const upper = minHalves(middle, minHalves(halved(r1 + k), w2));
      const lower = minHalves(middle, minHalves(w5, halved(r6 + k)));
      band[k] = minHalves(upper, halved(r0 + k));
      band[n + k] = minHalves(upper, w5);
      band[2 * n + k] = minHalves(lower, w2);
      band[3 * n + k] = minHalves(lower, halved(r7 + k));
    }
    // Then along each row: pairs p = min(x, x+1) and quads q = min(p(x), p(x+2)), a word
    // ahead; the window [x-2, x+2] is min(q(x-2), pixel x+2). Words beyond the row's ends
    // are 255 halved, which never wins a minimum.
    for (let t = 0; t < Math.min(4, height - top); t++) {
      const from = t * n;
      const row = (top + t) * n;
      let current = LOW_BITS;
      let next = band[from] as number;
      let after = n > 1 ? (band[from + 1] as number) : LOW_BITS;
      let pair = minHalves(current, (current >>> 8) | (next << 24));
      let quad = 0;
      for (let k = -1; k < n; k++) {
        const nextPair = minHalves(next, (next >>> 8) | (after << 24));
        const nextQuad = minHalves(pair, (pair >>> 16) | (nextPair << 16));
        if (k >= 0) {
          eroded[row + k] = minHalves(
            (nextQuad << 16) | (quad >>> 16),
            (current >>> 16) | (next << 16),
          );
        }
        quad = nextQuad;
        pair = nextPair;
        current = next;
        next = after;
        after = k + 3 < n ? (band[from + k + 3] as number) : LOW_BITS;
      }
    }
  }
  return out;
}
