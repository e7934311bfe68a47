/**
 * Bytes from hex written for people: "EF 01 FF FF" or "EF01 FFFF" alike. Refuses odd
 * digit counts and anything but hex digits and spaces, so a typo in a test vector
 * fails loudly instead of silently dropping a nibble.
 */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, "");
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`not whole hex bytes: "${text}"`);
  return Uint8Array.from(Buffer.from(digits, "hex"));
}

/** `text` as ASCII, padded with 0x00 to `width` bytes, as R30x string fields are. */
export function ascii(text: string, width: number): number[] {
  return Array.from({ length: width }, (_, i) => text.charCodeAt(i) || 0);
}
