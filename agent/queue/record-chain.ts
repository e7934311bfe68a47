import { createHash, sign, verify, type KeyObject } from "node:crypto";

/** The link before a device's first record. */
export const GENESIS_LINK = Buffer.alloc(32);

/** The length of a chain epoch: 16 random bytes. */
export const EPOCH_BYTES = 16;

/** What binds one record into the device's chain; the centre can recompute it from what it receives. */
export interface ChainEntry {
  readonly id: string;
  readonly seq: number;
  /** SHA-256 of the plaintext capture record, as it travels to the centre. */
  readonly payloadDigest: Uint8Array;
  /** The previous record's link (for seq 1: GENESIS_LINK, or the head of the chain this one follows). */
  readonly previousLink: Uint8Array;
  /** The chain's epoch; absent for a chain begun before epochs existed. */
  readonly epoch?: Uint8Array | null | undefined;
}

export function payloadDigest(payload: Uint8Array): Buffer {
  return createHash("sha256").update(payload).digest();
}

/** Separates epoch links from the older form, so neither can pass for the other. */
const EPOCH_LINK_DOMAIN = Buffer.from("basma chain epoch link\0");

/**
 * link = SHA-256([domain | epoch |] previous link | id | seq | payload digest). The
 * seq is fixed-width and the id length-prefixed, so no two different entries hash
 * the same bytes; the epoch, where there is one, ties each link to its chain.
 */
export function chainLink(entry: ChainEntry): Buffer {
  const id = Buffer.from(entry.id, "utf8");
  const header = Buffer.alloc(2 + 8);
  header.writeUInt16BE(id.length, 0);
  header.writeBigUInt64BE(BigInt(entry.seq), 2);
  const hash = createHash("sha256");
  if (entry.epoch !== undefined && entry.epoch !== null) {
    if (entry.epoch.length !== EPOCH_BYTES) throw new RangeError("a chain epoch is 16 bytes");
    hash.update(EPOCH_LINK_DOMAIN).update(entry.epoch);
  }
  return hash
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
