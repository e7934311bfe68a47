import type { CaptureRecord } from "../records/capture-record.js";
import { encodeCaptureRecord } from "../records/record-codec.js";
import { sealPayload } from "./payload-cipher.js";
import { payloadDigest } from "./record-chain.js";

/**
 * A record ready to be written: encoded, digested and encrypted. Everything here is
 * pure CPU work that needs neither the database nor the chain head, so it happens
 * before the write transaction and never holds the write lock.
 */
export interface SealedRecord {
  readonly id: string;
  readonly createdAt: string;
  /** SHA-256 of the plaintext CBOR record: what the chain link covers. */
  readonly digest: Buffer;
  readonly nonce: Buffer;
  /** AES-256-GCM ciphertext followed by its tag. */
  readonly ciphertext: Buffer;
  /** The payload's own key, wrapped by the queue's data key. */
  readonly wrappedKey: Buffer;
}

export function sealEncoded(
  dataKey: Buffer,
  id: string,
  createdAt: string,
  payload: Uint8Array,
): SealedRecord {
  const { nonce, ciphertext, wrappedKey } = sealPayload(dataKey, id, payload);
  return { id, createdAt, digest: payloadDigest(payload), nonce, ciphertext, wrappedKey };
}

export function sealCaptureRecord(dataKey: Buffer, record: CaptureRecord): SealedRecord {
  return sealEncoded(dataKey, record.id, record.finishedAt, encodeCaptureRecord(record));
}
