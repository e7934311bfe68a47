import { createCipheriv, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { readDeviceKeyFile } from "../../../agent/queue/device-keys.js";
import { defaultKeyFile } from "../../../agent/queue/outbox.js";
import { unwrapDataKey } from "../../../agent/queue/payload-cipher.js";
import { encodeCaptureRecord } from "../../../agent/records/record-codec.js";
import { freshQueuePath, outboxTracker } from "../../support/queue-files.js";
import { makeRecord } from "../../support/records.js";

const outboxes = outboxTracker();
afterEach(() => outboxes.closeAll());

function dataKeyOf(path: string): Buffer {
  const db = new Database(path, { readonly: true });
  try {
    const row = db
      .prepare<[], { wrapped: Buffer }>("SELECT wrapped_data_key AS wrapped FROM queue_keys")
      .get();
    if (row === undefined) throw new Error("queue has no data key");
    return unwrapDataKey(readDeviceKeyFile(defaultKeyFile(path)).wrappingKey, row.wrapped);
  } finally {
    db.close();
  }
}

function wrappedKeyOf(path: string, id: string): Buffer | undefined {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare<[string], { wrapped: Buffer }>(
        "SELECT k.wrapped_key AS wrapped FROM payload_keys k JOIN records r ON r.seq = k.seq WHERE r.id = ?",
      )
      .get(id)?.wrapped;
  } finally {
    db.close();
  }
}

/**
 * Turns a stored record into one as versions before record keys wrote it: the payload
 * sealed with AES-256-GCM directly under the data key (record id as associated data),
 * and no key of its own. Written here with node:crypto, apart from the queue's code.
 */
function sealUnderDataKey(path: string, id: string, plaintext: Uint8Array): void {
  const dataKey = dataKeyOf(path);
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", dataKey, nonce, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(id, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const db = new Database(path);
  try {
    const seq = db
      .prepare<[string], { seq: number }>("SELECT seq FROM records WHERE id = ?")
      .get(id)?.seq;
    db.prepare("UPDATE records SET payload = ?, nonce = ? WHERE id = ?").run(ciphertext, nonce, id);
    db.prepare("DELETE FROM payload_keys WHERE seq = ?").run(seq);
  } finally {
    db.close();
  }
}

describe("per-record payload keys", () => {
  it("erase an acknowledged payload by destroying its key: the wrapped key is nowhere on disk", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    const kept = outbox.enqueue(makeRecord(1)).id;
    const acknowledged = outbox.enqueue(makeRecord(2)).id;
    const wrapped = wrappedKeyOf(path, acknowledged);
    expect(wrapped?.length).toBe(12 + 32 + 16);
    expect(outbox.durability().secureDelete).toBe("fast");

    expect(outbox.acknowledge(acknowledged)).toBe(true);
    outbox.close();
    expect(wrappedKeyOf(path, acknowledged)).toBeUndefined();
    for (const file of [path, `${path}-wal`].filter((name) => existsSync(name)))
      expect(readFileSync(file).indexOf(wrapped ?? Buffer.alloc(1))).toBe(-1);
    // The other record still opens.
    const reopened = outboxes.open(path);
    expect(reopened.lease(5, 60_000).map((record) => record.id)).toEqual([kept]);
  });

  it("still open payloads sealed under the data key, and overwrite them when acknowledged until none are left", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    const records = [makeRecord(1), makeRecord(2), makeRecord(3)];
    for (const record of records) outbox.enqueue(record);
    outbox.close();
    const [first, second] = records;
    if (first === undefined || second === undefined) throw new Error("two records");
    sealUnderDataKey(path, first.id, encodeCaptureRecord(first));
    sealUnderDataKey(path, second.id, encodeCaptureRecord(second));

    const reopened = outboxes.open(path);
    expect(reopened.durability().secureDelete).toBe("on");
    const leased = reopened.lease(5, 60_000);
    expect(leased.map((record) => Buffer.from(record.payload))).toEqual(
      records.map((record) => Buffer.from(encodeCaptureRecord(record))),
    );
    expect(reopened.verifyChain({ decrypt: true }).ok).toBe(true);
    reopened.acknowledge(first.id);
    expect(reopened.durability().secureDelete).toBe("on");
    reopened.acknowledge(second.id);
    expect(reopened.durability().secureDelete).toBe("fast");
  });

  it("give a payload sealed under the data key a key of its own when the data key is rotated", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    const record = makeRecord(1);
    outbox.enqueue(record);
    outbox.close();
    sealUnderDataKey(path, record.id, encodeCaptureRecord(record));
    expect(wrappedKeyOf(path, record.id)).toBeUndefined();

    const reopened = outboxes.open(path);
    expect(reopened.rotateDataKey()).toEqual({ resealed: 1 });
    expect(wrappedKeyOf(path, record.id)?.length).toBe(60);
    expect(reopened.durability().secureDelete).toBe("fast");
    reopened.close();
    const again = outboxes.open(path);
    expect(again.lease(1, 60_000).map((leased) => Buffer.from(leased.payload))).toEqual([
      Buffer.from(encodeCaptureRecord(record)),
    ]);
  });
});
