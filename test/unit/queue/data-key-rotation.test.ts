import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { encodeCaptureRecord } from "../../../agent/records/record-codec.js";
import { freshQueuePath, outboxTracker } from "../../support/queue-files.js";
import { makeRecord } from "../../support/records.js";

const outboxes = outboxTracker();
afterEach(() => outboxes.closeAll());

function rawRows(path: string): {
  wrapped: Buffer;
  payloads: Map<string, Buffer>;
  keys: Map<string, Buffer>;
} {
  const db = new Database(path, { readonly: true });
  try {
    const wrapped = db
      .prepare<[], { wrapped_data_key: Buffer }>("SELECT wrapped_data_key FROM queue_keys")
      .get()?.wrapped_data_key;
    const rows = db
      .prepare<[], { id: string; payload: Buffer; key: Buffer }>(
        `SELECT id, payload, k.wrapped_key AS key FROM records r JOIN payload_keys k ON k.seq = r.seq
         WHERE state IN ('pending', 'in-flight')`,
      )
      .all();
    if (wrapped === undefined) throw new Error("queue has no data key");
    return {
      wrapped,
      payloads: new Map(rows.map((row) => [row.id, row.payload])),
      keys: new Map(rows.map((row) => [row.id, row.key])),
    };
  } finally {
    db.close();
  }
}

describe("rotating the queue's data key", () => {
  it("re-wraps every waiting payload's own key under a new data key; the records, their chain and later opens are unchanged", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    const records = [makeRecord(1), makeRecord(2), makeRecord(3)];
    for (const record of records) outbox.enqueue(record);
    outbox.acknowledge(records[0]?.id ?? "");
    const before = rawRows(path);

    expect(outbox.rotateDataKey()).toEqual({ resealed: 2 });

    const after = rawRows(path);
    expect(after.wrapped.equals(before.wrapped)).toBe(false);
    expect(after.keys.size).toBe(2);
    for (const [id, key] of after.keys) {
      expect(key.equals(before.keys.get(id) ?? Buffer.alloc(0))).toBe(false);
      // The payload needs no rewrite: only the key that opens it changed its wrapping.
      expect(after.payloads.get(id)?.equals(before.payloads.get(id) ?? Buffer.alloc(0))).toBe(true);
    }
    // The running outbox and a fresh open (unwrapping the new key) both read the records.
    const leased = outbox.lease(10, 60_000);
    expect(leased.map((r) => Buffer.from(r.payload))).toEqual(
      records.slice(1).map((record) => Buffer.from(encodeCaptureRecord(record))),
    );
    outbox.release();
    expect(outbox.verifyChain({ decrypt: true }).ok).toBe(true);
    outbox.close();
    const reopened = outboxes.open(path);
    expect(reopened.lease(10, 60_000).map((r) => r.id)).toEqual([records[1]?.id, records[2]?.id]);
    // New records go under the new key as well.
    reopened.enqueue(makeRecord(4));
    expect(reopened.stats().records).toBe(3);
  });
});
