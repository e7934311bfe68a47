import { createHash, sign, verify, type KeyObject } from "node:crypto";

/** The link before a device's first record. */
export const GENESIS_LINK = Buffer.alloc(32);

/** What binds one record into the device's chain; the centre can recompute it from what it receives. */
export interface ChainEntry {
  readonly id: string;
  readonly seq: number;
  /** SHA-256 of the plaintext capture record, as it travels to the centre. */
  readonly payloadDigest: Uint8Array;
  /** The previous record's link (GENESIS_LINK for the first). */
  readonly previousLink: Uint8Array;
}

export function payloadDigest(payload: Uint8Array): Buffer {
  return createHash("sha256").update(payload).digest();
}

/**
 * link = SHA-256(previous link | id | seq | payload digest). The seq is fixed-width
 * and the id length-prefixed, so no two different entries hash the same bytes.
 */
export function chainLink(entry: ChainEntry): Buffer {
  const id = Buffer.from(entry.id, "utf8");
  const header = Buffer.alloc(2 + 8);
  header.writeUInt16BE(id.length, 0);
  header.writeBigUInt64BE(BigInt(entry.seq), 2);
  return createHash("sha256")
    .update(entry.previousLink)
    .update(header.subarray(0, 2))
    .update(id)
    .update(header.subarray(2))
    .update(entry.payloadDigest)
    .digest();
}

/** Ed25519 over the link: one signature vouches for the record and everything before it. */
export function signLink(signingKey: KeyObject, link: Uint8Array): Buffer {
  return sign(null, link, signingKey);
}

export function verifyLink(
  verifyingKey: KeyObject,
  link: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    return verify(null, link, verifyingKey, signature);
  } catch {
    return false;
  }
}
