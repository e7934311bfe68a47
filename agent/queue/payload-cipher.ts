import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Binds a wrapped key to its purpose, so it cannot be passed off as something else. */
const DATA_KEY_CONTEXT = Buffer.from("basma queue data key v1");
const RECORD_KEY_CONTEXT = "basma queue record key v1 ";

export class PayloadCipherError extends Error {
  override readonly name = "PayloadCipherError";
}

export interface SealedPayload {
  readonly nonce: Buffer;
  /** Ciphertext followed by the 16-byte GCM tag. */
  readonly ciphertext: Buffer;
}

/**
 * A payload sealed under a key of its own, which is stored wrapped by the queue's data
 * key. Destroying the small wrapped key (a row on a b-tree page, zeroed when deleted)
 * makes the large ciphertext unreadable wherever its pages end up, so acknowledging a
 * record need not overwrite every page of it. `wrappedKey` null: a payload sealed
 * directly under the data key, by a version before record keys.
 */
export interface EnvelopedPayload extends SealedPayload {
  readonly wrappedKey: Buffer | null;
}

function seal(key: Buffer, plaintext: Uint8Array, associatedData: Buffer): SealedPayload {
  // A fresh random 96-bit nonce per message: with one data key per queue the
  // count stays far below the 2^32 messages where random GCM nonces become a risk.
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { nonce, ciphertext: Buffer.concat([body, cipher.getAuthTag()]) };
}

function open(key: Buffer, sealed: SealedPayload, associatedData: Buffer): Buffer {
  if (sealed.nonce.length !== NONCE_BYTES || sealed.ciphertext.length < TAG_BYTES) {
    throw new PayloadCipherError("sealed payload is truncated");
  }
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.nonce, {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(associatedData);
  decipher.setAuthTag(sealed.ciphertext.subarray(sealed.ciphertext.length - TAG_BYTES));
  try {
    const body = decipher.update(
      sealed.ciphertext.subarray(0, sealed.ciphertext.length - TAG_BYTES),
    );
    // GCM is a stream mode: final() only checks the tag and adds nothing, so the body is
    // returned as it is rather than copied once more (a drain opens every payload).
    const rest = decipher.final();
    return rest.length === 0 ? body : Buffer.concat([body, rest]);
  } catch {
    throw new PayloadCipherError("authentication failed");
  }
}

/** Wraps the queue's data key with the device's wrapping key (AES-256-GCM key wrap). */
export function wrapDataKey(wrappingKey: Buffer, dataKey: Buffer): Buffer {
  const { nonce, ciphertext } = seal(wrappingKey, dataKey, DATA_KEY_CONTEXT);
  return Buffer.concat([nonce, ciphertext]);
}

/** Throws PayloadCipherError when the wrapping key is not the one that wrapped it. */
export function unwrapDataKey(wrappingKey: Buffer, wrapped: Buffer): Buffer {
  return open(
    wrappingKey,
    { nonce: wrapped.subarray(0, NONCE_BYTES), ciphertext: wrapped.subarray(NONCE_BYTES) },
    DATA_KEY_CONTEXT,
  );
}

export function newDataKey(): Buffer {
  return randomBytes(32);
}

/**
 * Seals a record's payload under a fresh key of its own and wraps that key with the
 * data key. The record id is the associated data of both: a payload or key moved to
 * another row fails to open.
 */
export function sealPayload(
  dataKey: Buffer,
  recordId: string,
  payload: Uint8Array,
): EnvelopedPayload & { wrappedKey: Buffer } {
  const recordKey = randomBytes(32);
  try {
    return {
      ...seal(recordKey, payload, Buffer.from(recordId, "utf8")),
      wrappedKey: wrapRecordKey(dataKey, recordId, recordKey),
    };
  } finally {
    recordKey.fill(0);
  }
}

/** Throws PayloadCipherError when the payload, its key or the data key do not belong together. */
export function openPayload(dataKey: Buffer, recordId: string, sealed: EnvelopedPayload): Buffer {
  const associatedData = Buffer.from(recordId, "utf8");
  if (sealed.wrappedKey === null) return open(dataKey, sealed, associatedData);
  const recordKey = unwrapRecordKey(dataKey, recordId, sealed.wrappedKey);
  try {
    return open(recordKey, sealed, associatedData);
  } finally {
    recordKey.fill(0);
  }
}

function wrapRecordKey(dataKey: Buffer, recordId: string, recordKey: Buffer): Buffer {
  const { nonce, ciphertext } = seal(
    dataKey,
    recordKey,
    Buffer.from(RECORD_KEY_CONTEXT + recordId, "utf8"),
  );
  return Buffer.concat([nonce, ciphertext]);
}

function unwrapRecordKey(dataKey: Buffer, recordId: string, wrapped: Buffer): Buffer {
  return open(
    dataKey,
    { nonce: wrapped.subarray(0, NONCE_BYTES), ciphertext: wrapped.subarray(NONCE_BYTES) },
    Buffer.from(RECORD_KEY_CONTEXT + recordId, "utf8"),
  );
}

/** The same record key wrapped under a new data key: the payload itself is untouched. */
export function rewrapRecordKey(
  oldDataKey: Buffer,
  newDataKey: Buffer,
  recordId: string,
  wrapped: Buffer,
): Buffer {
  const recordKey = unwrapRecordKey(oldDataKey, recordId, wrapped);
  try {
    return wrapRecordKey(newDataKey, recordId, recordKey);
  } finally {
    recordKey.fill(0);
  }
}
