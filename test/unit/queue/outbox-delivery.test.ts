import Database from "better-sqlite3";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { QuarantinedRecord } from "../../../agent/queue/outbox.js";
import { freshQueuePath, outboxTracker } from "../../support/queue-files.js";
import { makeRecord } from "../../support/records.js";

const outboxes = outboxTracker();
afterEach(() => outboxes.closeAll());

function tamper(path: string, sql: string, ...params: unknown[]): void {
  const db = new Database(path);
  db.prepare(sql).run(...params);
  db.close();
}

describe("leasing with live sessions ahead of the backlog", () => {
  it("hands out records above liveAfterSeq first, oldest first, then the backlog oldest first", () => {
    const outbox = outboxes.open(freshQueuePath());
    const seqs = Array.from({ length: 8 }, (_, i) => outbox.enqueue(makeRecord(i)).seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const now = Date.now();
    expect(outbox.lease(3, 60_000, { liveAfterSeq: 5, now }).map((r) => r.seq)).toEqual([6, 7, 8]);
    expect(outbox.lease(3, 60_000, { liveAfterSeq: 5, now }).map((r) => r.seq)).toEqual([1, 2, 3]);
    // A new session arrives while the backlog drains: it goes first again.
    expect(outbox.enqueue(makeRecord(9)).seq).toBe(9);
    expect(outbox.lease(3, 60_000, { liveAfterSeq: 5, now }).map((r) => r.seq)).toEqual([9, 4, 5]);
    expect(outbox.lease(3, 60_000, { liveAfterSeq: 5, now })).toEqual([]);
    // Expired leases come back in the same order of priority.
    expect(
      outbox.lease(4, 60_000, { liveAfterSeq: 5, now: now + 60_000 }).map((r) => r.seq),
    ).toEqual([6, 7, 8, 9]);
  });

  it("without liveAfterSeq is plain oldest first, and the old clock argument still works", () => {
    const outbox = outboxes.open(freshQueuePath());
    for (let i = 0; i < 4; i++) outbox.enqueue(makeRecord(i));
    const now = Date.now();
    expect(outbox.lease(2, 1_000, now).map((r) => r.seq)).toEqual([1, 2]);
    expect(outbox.lease(5, 1_000, { now }).map((r) => r.seq)).toEqual([3, 4]);
    expect(outbox.lease(5, 1_000, now + 1_000).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
  });

  it("releases every lease at once for a resync", () => {
    const outbox = outboxes.open(freshQueuePath());
    for (let i = 0; i < 5; i++) outbox.enqueue(makeRecord(i));
    outbox.lease(5, 60_000);
    expect(outbox.stats().inFlight).toBe(5);
    expect(outbox.release()).toBe(5);
    expect(outbox.stats().inFlight).toBe(0);
    expect(outbox.lease(5, 60_000).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("reports when the oldest waiting record was queued, from the queue order", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    expect(outbox.stats().oldestEnqueuedAt).toBeNull();
    const before = Date.now();
    const first = outbox.enqueue(makeRecord(1));
    const after = Date.now();
    outbox.enqueue(makeRecord(2));
    const stats = outbox.stats();
    const queuedAt = Date.parse(stats.oldestEnqueuedAt ?? "");
    expect(queuedAt).toBeGreaterThanOrEqual(before);
    expect(queuedAt).toBeLessThanOrEqual(after);
    outbox.acknowledge(first.id);
    expect(Date.parse(outbox.stats().oldestEnqueuedAt ?? "")).toBeGreaterThanOrEqual(queuedAt);
    // A row queued before enqueue times were kept counts from its capture time.
    tamper(path, "UPDATE records SET enqueued_at = NULL");
    expect(outbox.stats().oldestEnqueuedAt).toBe(outbox.stats().oldestCreatedAt);
  });
});

describe("quarantine", () => {
  it("sets aside a record whose payload fails authentication, without blocking the rest", () => {
    const path = freshQueuePath();
    const quarantined: QuarantinedRecord[] = [];
    const onHealthChange = vi.fn();
    const outbox = outboxes.open(path, {
      limits: { reserveFreeBytes: 0 },
      onQuarantine: (record) => quarantined.push(record),
      onHealthChange,
    });
    const ids = [1, 2, 3, 4].map((seed) => outbox.enqueue(makeRecord(seed)).id);
    // One flipped byte in the ciphertext of seq 2: the GCM tag no longer matches.
    const db = new Database(path);
    const sealed = db
      .prepare<[], { payload: Buffer }>("SELECT payload FROM records WHERE seq = 2")
      .get()?.payload;
    if (sealed === undefined) throw new Error("seq 2 is missing");
    sealed[10] = (sealed[10] ?? 0) ^ 0xff;
    db.prepare("UPDATE records SET payload = ? WHERE seq = 2").run(sealed);
    db.close();
    expect(outbox.lease(2, 60_000).map((r) => r.seq)).toEqual([1, 3]);
    expect(quarantined.map(({ seq, id }) => ({ seq, id }))).toEqual([{ seq: 2, id: ids[1] }]);
    expect(quarantined[0]?.reason).toMatch(/authentication/);
    // Never offered again, not even when leases run out; the others flow on.
    expect(outbox.lease(5, 60_000).map((r) => r.seq)).toEqual([4]);
    expect(outbox.lease(5, 60_000, Date.now() + 120_000).map((r) => r.seq)).toEqual([1, 3, 4]);
    expect(quarantined).toHaveLength(1);
    // Kept, counted and alarmed.
    expect(outbox.has(ids[1] ?? "")).toBe(true);
    expect(outbox.stats()).toMatchObject({ records: 4, quarantined: 1 });
    const inventory = outbox.inventory();
    expect(inventory.quarantined.records).toBe(1);
    expect(inventory.states.pending.records + inventory.states["in-flight"].records).toBe(3);
    expect(outbox.quarantined()).toEqual([expect.objectContaining({ seq: 2, id: ids[1] })]);
    expect(outbox.list(10).find((r) => r.seq === 2)?.quarantined).toMatch(/authentication/);
    expect(outbox.health()).toMatchObject({ level: "warning" });
    expect(outbox.health().reasons).toContain(
      "1 record quarantined (unreadable, or refused by the centre): kept and not sent",
    );
    expect(onHealthChange).toHaveBeenCalledWith(expect.objectContaining({ level: "warning" }));
  });

  it("sets aside a record the centre refused: kept, reported, never offered again", () => {
    const quarantined: QuarantinedRecord[] = [];
    const onHealthChange = vi.fn();
    const outbox = outboxes.open(freshQueuePath(), {
      onQuarantine: (record) => quarantined.push(record),
      onHealthChange,
    });
    const ids = [1, 2, 3].map((i) => outbox.enqueue(makeRecord(i)).id);
    expect(outbox.lease(3, 60_000).map((r) => r.seq)).toEqual([1, 2, 3]);
    const entry = outbox.setAside(ids[1] ?? "", "centre refused it: bad signature");
    expect(entry).toMatchObject({ seq: 2, id: ids[1], reason: "centre refused it: bad signature" });
    expect(quarantined).toEqual([entry]);
    // A second refusal of the same record, or one for a record no longer waiting, is a no-op.
    expect(outbox.setAside(ids[1] ?? "", "again")).toBeUndefined();
    outbox.acknowledge(ids[0] ?? "");
    expect(outbox.setAside(ids[0] ?? "", "too late")).toBeUndefined();
    expect(quarantined).toHaveLength(1);
    // Its lease is over, yet it never goes again; the others do once their leases run out.
    expect(outbox.lease(5, 60_000, Date.now() + 120_000).map((r) => r.seq)).toEqual([3]);
    expect(outbox.has(ids[1] ?? "")).toBe(true);
    expect(outbox.stats()).toMatchObject({ records: 2, quarantined: 1 });
    expect(outbox.list(10).find((r) => r.seq === 2)?.quarantined).toBe(
      "centre refused it: bad signature",
    );
    expect(onHealthChange).toHaveBeenCalledWith(expect.objectContaining({ level: "warning" }));
  });

  it("sets aside a record sealed under another data key", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    outbox.enqueue(makeRecord(1));
    outbox.enqueue(makeRecord(2));
    // The nonce no longer belongs to the ciphertext: as if sealed by another key.
    tamper(path, "UPDATE records SET nonce = randomblob(12) WHERE seq = 1");
    expect(outbox.lease(5, 60_000).map((r) => r.seq)).toEqual([2]);
    expect(outbox.stats().quarantined).toBe(1);
  });
});

describe("start-up check", () => {
  it("costs the same whatever the queue holds, and still sets aside a file whose head is gone", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    for (let i = 0; i < 3; i++) outbox.enqueue(makeRecord(i));
    outboxes.closeAll();
    // The newest record no longer is the chain head: the tail of the file was lost.
    tamper(path, "UPDATE records SET link = randomblob(32) WHERE seq = 3");
    const fresh = outboxes.open(path);
    expect(fresh.damaged?.problem).toMatch(/newest record \(seq 3\) is not the chain head/);
    expect(fresh.damaged?.head?.seq).toBe(3);
    expect(fresh.stats().records).toBe(0);
  });

  it("leaves a sound file alone, and checks every page on demand", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    for (let i = 0; i < 3; i++) outbox.enqueue(makeRecord(i));
    outboxes.closeAll();
    const again = outboxes.open(path);
    expect(again.damaged).toBeUndefined();
    expect(again.stats().records).toBe(3);
    expect(again.checkPages()).toBe("ok");
  });
});
