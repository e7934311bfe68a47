import type Database from "better-sqlite3";
import {
  newDataKey,
  openPayload,
  rewrapRecordKey,
  sealPayload,
  wrapDataKey,
} from "./payload-cipher.js";
import type { QueueKeyring } from "./queue-keyring.js";

interface WaitingRow {
  seq: number;
  id: string;
  wrappedKey: Buffer | null;
}

/**
 * Replaces the queue's data key, in one transaction, so a crash leaves either the old
 * key and old wrappings or the new ones. Each waiting payload's own key is re-wrapped
 * under the new data key (the payload itself is untouched); a payload sealed directly
 * under the old data key, before record keys, is opened and sealed again under a key of
 * its own. Plaintexts are unchanged, so the chain (which covers their digests) is too.
 * Quarantined rows, which no key opens, stay as they are. Old wrappings and ciphertexts
 * are zeroed by secure_delete.
 *
 * The keyring's data key is updated in place after the commit: the delivery and
 * inspection parts of the outbox hold that same buffer.
 */
export function rotateDataKey(db: Database.Database, keyring: QueueKeyring): { resealed: number } {
  const oldKey = keyring.dataKey;
  const newKey = newDataKey();
  const rows = db.prepare<[], WaitingRow>(
    `SELECT r.seq, r.id, k.wrapped_key AS wrappedKey
     FROM records r LEFT JOIN payload_keys k ON k.seq = r.seq
     WHERE r.state = 'pending' AND r.nonce IS NOT NULL
       AND r.seq NOT IN (SELECT seq FROM quarantine)`,
  );
  const sealedUnderDataKey = db.prepare<[number], { payload: Buffer; nonce: Buffer }>(
    "SELECT payload, nonce FROM records WHERE seq = ?",
  );
  const reseal = db.prepare<[Buffer, Buffer, number]>(
    "UPDATE records SET payload = ?, nonce = ? WHERE seq = ?",
  );
  const storeKey = db.prepare<[number, Buffer]>(
    "INSERT OR REPLACE INTO payload_keys (seq, wrapped_key) VALUES (?, ?)",
  );
  const resealed = db.transaction(() => {
    let count = 0;
    for (const row of rows.all()) {
      if (row.wrappedKey !== null) {
        storeKey.run(row.seq, rewrapRecordKey(oldKey, newKey, row.id, row.wrappedKey));
      } else {
        const stored = sealedUnderDataKey.get(row.seq);
        if (stored === undefined) continue;
        const plaintext = openPayload(oldKey, row.id, {
          nonce: stored.nonce,
          ciphertext: stored.payload,
          wrappedKey: null,
        });
        const sealed = sealPayload(newKey, row.id, plaintext);
        reseal.run(sealed.ciphertext, sealed.nonce, row.seq);
        storeKey.run(row.seq, sealed.wrappedKey);
      }
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
