import type Database from "better-sqlite3";
import { sealPayload } from "./payload-cipher.js";
import { chainLink, payloadDigest, signLink } from "./record-chain.js";
import type { QueueKeyring } from "./queue-keyring.js";

/**
 * Version 1 stored payloads in clear. Right after migrating, seal each such row and
 * link it into the chain in seq order, in one transaction, so an upgraded terminal
 * never holds a plaintext record past its first start. Returns the rows sealed.
 */
export function sealLegacyRows(db: Database.Database, keyring: QueueKeyring): number {
  const legacy = db.prepare<[], { id: string; seq: number; payload: Buffer }>(
    "SELECT id, seq, payload FROM records WHERE nonce IS NULL AND state != 'deleted' ORDER BY seq",
  );
  const update = db.prepare(
    `UPDATE records SET payload = ?, payload_bytes = ?, nonce = ?, payload_digest = ?,
       previous_link = ?, link = ?, signature = ? WHERE id = ?`,
  );
  const head = db.prepare<[], { link: Buffer }>("SELECT link FROM chain_head WHERE id = 1");
  const moveHead = db.prepare("UPDATE chain_head SET seq = ?, link = ? WHERE id = 1");
  const insertKey = db.prepare("INSERT INTO payload_keys (seq, wrapped_key) VALUES (?, ?)");
  return db.transaction(() => {
    let sealed = 0;
    let previousLink = head.get()?.link ?? Buffer.alloc(32);
    for (const row of legacy.all()) {
      const { nonce, ciphertext, wrappedKey } = sealPayload(keyring.dataKey, row.id, row.payload);
      const digest = payloadDigest(row.payload);
      const link = chainLink({ id: row.id, seq: row.seq, payloadDigest: digest, previousLink });
      update.run(
        ciphertext,
        ciphertext.length,
        nonce,
        digest,
        previousLink,
        link,
        signLink(keyring.device.signingKey, link),
        row.id,
      );
      insertKey.run(row.seq, wrappedKey);
      moveHead.run(row.seq, link);
      previousLink = link;
      sealed++;
    }
    return sealed;
  })();
}
