/**
 * The 4000B's image obfuscation: a 32-bit linear feedback shift register (taps at bits
 * 1 3 4 7 11 13 20 23 26 29 32, i.e. mask 0x9248144d) yields one XOR byte per image byte
 * from eight of its bits, and the device shifts the obfuscated stream one byte to the
 * right. Both directions live here so the simulator and the driver cannot drift apart.
 */

const TAP_MASK = 0x92_48_14_4d;
/** Which register bits make up the XOR byte, least significant first. */
const XOR_BITS = [4, 8, 11, 14, 18, 21, 24, 29] as const;

/** One LFSR step: the parity of the tapped bits enters at the top. */
export function nextKey(key: number): number {
  let tapped = (key & TAP_MASK) >>> 0;
  tapped ^= tapped >>> 16;
  tapped ^= tapped >>> 8;
  tapped ^= tapped >>> 4;
  tapped ^= tapped >>> 2;
  tapped ^= tapped >>> 1;
  return (((tapped & 1) << 31) | (key >>> 1)) >>> 0;
}

function xorByte(key: number): number {
  let value = 0;
  for (let bit = 0; bit < XOR_BITS.length; bit++) {
    value |= ((key >>> (XOR_BITS[bit] ?? 0)) & 1) << bit;
  }
  return value;
}

/** Advances the key past `count` bytes that carry no obfuscation. */
export function skipKey(key: number, count: number): number {
  let next = key;
  for (let i = 0; i < count; i++) next = nextKey(next);
  return next;
}

/**
 * Undoes the obfuscation of `data` in place and returns the key for what follows.
 * The last byte of the run is lost to the shift and comes back as 0.
 */
export function deobfuscate(data: Uint8Array, key: number): number {
  let current = key >>> 0;
  const last = data.length - 1;
  for (let i = 0; i < last; i++) {
    data[i] = (data[i + 1] ?? 0) ^ xorByte(current);
    current = nextKey(current);
  }
  if (last >= 0) data[last] = 0;
  return nextKey(current);
}

/** The device's side of deobfuscate(): what a reader puts on the wire for `plain`. */
export function obfuscate(plain: Uint8Array, key: number): { data: Uint8Array; nextKey: number } {
  const data = new Uint8Array(plain.length);
  let current = key >>> 0;
  for (let i = 0; i + 1 < plain.length; i++) {
    data[i + 1] = (plain[i] ?? 0) ^ xorByte(current);
    current = nextKey(current);
  }
  return { data, nextKey: plain.length > 0 ? nextKey(current) : current };
}
