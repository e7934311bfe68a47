import type Database from "better-sqlite3";
import { newDataKey, openPayload, sealPayload, wrapDataKey } from "./payload-cipher.js";
import type { QueueKeyring } from "./queue-keyring.js";

interface SealedRow {
  seq: number;
  id: string;
  payload: Buffer;
  nonce: Buffer;
}

/**
 * Replaces the queue's data key: every waiting payload is opened with the old key and
 * sealed again with a fresh one (new nonce, same record id as associated data), and the
 * new key's wrapping replaces the old, in one transaction, so a crash leaves either the
 * old key and old ciphertexts or the new ones. Plaintexts are unchanged, so the chain
 * (which covers their digests) is untouched. Quarantined rows, which no key opens, stay
 * as they are. The old ciphertexts' pages are zeroed by secure_delete.
 *
 * The keyring's data key is updated in place after the commit: the delivery and
 * inspection parts of the outbox hold that same buffer.
 */
export function rotateDataKey(db: Database.Database, keyring: QueueKeyring): { resealed: number } {
  const oldKey = keyring.dataKey;
  const newKey = newDataKey();
  const rows = db.prepare<[], SealedRow>(
    `SELECT seq, id, payload, nonce FROM records
     WHERE state IN ('pending', 'in-flight') AND nonce IS NOT NULL
       AND seq NOT IN (SELECT seq FROM quarantine)`,
  );
  const update = db.prepare<[Buffer, Buffer, number]>(
    "UPDATE records SET payload = ?, nonce = ? WHERE seq = ?",
  );
  const resealed = db.transaction(() => {
    let count = 0;
    for (const row of rows.all()) {
      const plaintext = openPayload(oldKey, row.id, { nonce: row.nonce, ciphertext: row.payload });
      const sealed = sealPayload(newKey, row.id, plaintext);
      update.run(sealed.ciphertext, sealed.nonce, row.seq);
      count += 1;
    }
    db.prepare("UPDATE queue_keys SET wrapped_data_key = ? WHERE id = 1").run(
      wrapDataKey(keyring.device.wrappingKey, newKey),
    );
    return count;
  })();
  oldKey.set(newKey);
  newKey.fill(0);
  return { resealed };
}
