import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it, vi } from "vitest";
import { migrate, OUTBOX_MIGRATIONS } from "../../../agent/queue/migrations.js";
import { QueueFullError } from "../../../agent/queue/storage-limits.js";
import { decodeCaptureRecord, encodeCaptureRecord } from "../../../agent/records/record-codec.js";
import { freshQueuePath, outboxTracker } from "../../support/queue-files.js";
import { makeRecord } from "../../support/records.js";

const outboxes = outboxTracker();
afterEach(() => outboxes.closeAll());

describe("outbox delivery states and leases", () => {
  it("leases pending records once, offers them again when the lease runs out or is released", () => {
    const outbox = outboxes.open(freshQueuePath());
    const ids = [1, 2, 3].map((seed) => outbox.enqueue(makeRecord(seed)).id);
    const now = Date.now();
    expect(outbox.lease(2, 60_000, now).map((r) => r.id)).toEqual(ids.slice(0, 2));
    expect(outbox.lease(5, 60_000, now).map((r) => r.id)).toEqual([ids[2]]);
    expect(outbox.lease(5, 60_000, now + 1_000)).toEqual([]);
    expect(outbox.stats().inFlight).toBe(3);
    // A crashed sender's lease expires: the records come back, oldest first.
    expect(outbox.lease(5, 60_000, now + 60_000).map((r) => r.id)).toEqual(ids);
    expect(outbox.release([ids[1] ?? ""])).toBe(1);
    expect(outbox.list(10).map((r) => r.state)).toEqual(["in-flight", "pending", "in-flight"]);
    expect(outbox.release()).toBe(2);
    expect(outbox.stats().inFlight).toBe(0);
  });

  it("ends leases with the process: after a reopen every unacknowledged record is offered again at once", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    const { id } = outbox.enqueue(makeRecord());
    outbox.lease(1, 10_000);
    expect(outbox.lease(1, 10_000)).toEqual([]);
    outboxes.closeAll();
    const reopened = outboxes.open(path);
    expect(reopened.stats().inFlight).toBe(0);
    expect(reopened.lease(1, 10_000).map((r) => r.id)).toEqual([id]);
  });

  it("acknowledges in-flight and pending records, scrubbing the payload and keeping a tombstone", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    const first = outbox.enqueue(makeRecord(1)).id;
    const second = outbox.enqueue(makeRecord(2)).id;
    outbox.lease(1, 60_000);
    expect(outbox.acknowledge(first)).toBe(true);
    expect(outbox.acknowledge(first)).toBe(false);
    const states = outbox.list(10, { includeDeleted: true });
    expect(states.map((r) => [r.seq, r.state])).toEqual([
      [1, "deleted"],
      [2, "pending"],
    ]);
    const db = new Database(path, { readonly: true });
    const scrubbed = db
      .prepare<[string], { bytes: number; nonce: Buffer | null }>(
        "SELECT length(payload) AS bytes, nonce FROM records WHERE id = ?",
      )
      .get(first);
    db.close();
    expect(scrubbed).toEqual({ bytes: 0, nonce: null });
    expect(outbox.acknowledge(second)).toBe(true);
    expect(outbox.stats()).toMatchObject({ records: 0, payloadBytes: 0, lastSeq: 2 });
  });

  it("does not grow the file without bound across enqueue and acknowledge cycles", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    const large = { width: 256, height: 288 };
    const sizeAfter = (rounds: number): number => {
      for (let i = 0; i < rounds; i++) {
        const ids = [0, 1, 2, 3].map((seed) => outbox.enqueue(makeRecord(seed, large)).id);
        for (const id of ids) outbox.acknowledge(id);
      }
      return statSync(path).size + (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
    };
    const early = sizeAfter(3);
    const later = sizeAfter(15);
    expect(later).toBeLessThanOrEqual(early * 1.1);
    expect(outbox.durability().autoVacuum).toBe("incremental");
  });
});

describe("outbox migration to version 4", () => {
  it("empties rows an older version acknowledged but had not yet emptied", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    const acknowledged = outbox.enqueue(makeRecord(1)).id;
    outbox.enqueue(makeRecord(2));
    outboxes.closeAll();
    // Back to version 3 as an older agent left it: acknowledged, payload still there.
    const db = new Database(path);
    db.exec("DROP TABLE payload_keys; DELETE FROM schema_migrations WHERE version = 4");
    db.prepare("UPDATE records SET state = 'acknowledged' WHERE id = ?").run(acknowledged);
    db.close();

    const reopened = outboxes.open(path);
    expect(reopened.stats().records).toBe(1);
    const check = new Database(path, { readonly: true });
    const row = check
      .prepare<[string], { state: string; bytes: number }>(
        "SELECT state, length(payload) AS bytes FROM records WHERE id = ?",
      )
      .get(acknowledged);
    check.close();
    expect(row).toEqual({ state: "deleted", bytes: 0 });
  });
});

describe("outbox free space", () => {
  it("hands a drained queue's free pages back to the file system in steps after the last acknowledgement", async () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    const large = { width: 256, height: 288 };
    const ids = Array.from({ length: 40 }, (_, seed) => outbox.enqueue(makeRecord(seed, large)).id);
    expect(outbox.acknowledgeMany(ids)).toHaveLength(40);
    // The acknowledgement has checkpointed the WAL into the file, and returns before the
    // space is given back; the steps follow.
    const full = statSync(path).size;
    expect(full).toBeGreaterThan(40 * 256 * 288);
    await vi.waitFor(() => {
      expect(statSync(path).size).toBeLessThan(full / 4);
    });
    expect(outbox.stats().records).toBe(0);
  });
});

describe("outbox storage limits", () => {
  it("raises the health alarm at the warning threshold and refuses at the limit, storing nothing", () => {
    const onHealthChange = vi.fn();
    const outbox = outboxes.open(freshQueuePath(), {
      limits: { maxRecords: 5, warnAtFraction: 0.6, reserveFreeBytes: 0 },
      onHealthChange,
    });
    for (let i = 0; i < 2; i++) outbox.enqueue(makeRecord(i));
    expect(outbox.health().level).toBe("ok");
    expect(onHealthChange).not.toHaveBeenCalled();
    outbox.enqueue(makeRecord(3));
    expect(onHealthChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ level: "warning", reasons: ["3 of 5 records queued"] }),
    );
    outbox.enqueue(makeRecord(4));
    const last = outbox.enqueue(makeRecord(5));
    expect(outbox.canAcceptSession()).toBe(false);
    const refused = makeRecord(6);
    expect(() => outbox.enqueue(refused)).toThrow(QueueFullError);
    expect(onHealthChange).toHaveBeenLastCalledWith(expect.objectContaining({ level: "full" }));
    expect(outbox.stats()).toMatchObject({ records: 5, lastSeq: 5 });
    // An acknowledgement makes room again; the chain has no hole where the refusal was.
    outbox.acknowledge(last.id);
    expect(outbox.canAcceptSession()).toBe(true);
    expect(outbox.enqueue(refused).seq).toBe(6);
    expect(outbox.verifyChain().ok).toBe(true);
  });

  it("refuses on bytes and on the free-disk reserve, with the reason", () => {
    const bytesBound = outboxes.open(freshQueuePath(), {
      limits: { maxBytes: 1_048_576, reserveFreeBytes: 0 },
    });
    const big = { width: 1024, height: 1024 };
    expect(() => bytesBound.enqueue(makeRecord(1, big))).toThrow(/would exceed queue.maxBytes/);
    const diskBound = outboxes.open(freshQueuePath(), {
      limits: { reserveFreeBytes: Number.MAX_SAFE_INTEGER },
    });
    expect(diskBound.canAcceptSession()).toBe(false);
    expect(() => diskBound.enqueue(makeRecord())).toThrow(/below queue.reserveFreeBytes/);
  });

  it("turns a full disk mid-write (SQLITE_FULL) into QueueFullError and keeps the file sound", () => {
    // No loop or tmpfs mount without root here: a page cap makes SQLite hit "disk full" instead.
    const path = freshQueuePath();
    outboxes.open(path).close();
    const db = new Database(path);
    const pages = Number(db.pragma("page_count", { simple: true }));
    db.close();
    const outbox = outboxes.open(path, {
      limits: { reserveFreeBytes: 0 },
      maxPageCount: pages + 8,
    });
    const first = outbox.enqueue(makeRecord(1));
    const big = { width: 256, height: 288 };
    expect(() => outbox.enqueue(makeRecord(2, big))).toThrow(/disk is full \(SQLITE_FULL\)/);
    expect(outbox.stats()).toMatchObject({ records: 1, lastSeq: 1 });
    // Space returns: the next record goes in with the next seq and the chain holds.
    outbox.acknowledge(first.id);
    outboxes.closeAll();
    const roomy = outboxes.open(path);
    expect(roomy.enqueue(makeRecord(3, big)).seq).toBe(2);
    expect(roomy.verifyChain({ decrypt: true }).ok).toBe(true);
    const check = new Database(path, { readonly: true });
    expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
    check.close();
  });
});

describe("outbox migrations from earlier versions", () => {
  it("upgrades a version 1 database with plaintext records: seals, chains, keeps every record", () => {
    const path = freshQueuePath();
    mkdirSync(dirname(path), { recursive: true });
    const v1 = new Database(path);
    v1.pragma("journal_mode = WAL");
    migrate(v1, OUTBOX_MIGRATIONS.slice(0, 1));
    const records = [makeRecord(1), makeRecord(2), makeRecord(3)];
    const insert = v1.prepare(
      "INSERT INTO records (id, seq, created_at, payload, payload_bytes) VALUES (?, ?, ?, ?, ?)",
    );
    records.forEach((record, i) => {
      const payload = encodeCaptureRecord(record);
      insert.run(record.id, i + 2, record.finishedAt, payload, payload.length);
    });
    v1.prepare("UPDATE counters SET value = 4 WHERE name = 'record_seq'").run();
    v1.close();
    const run = Buffer.from(records[0]?.fingers[0]?.image?.pixels.subarray(0, 64) ?? []);
    // The control: version 1 really did hold the pixels in clear.
    expect(readFileSync(path).indexOf(run)).not.toBe(-1);

    const outbox = outboxes.open(path);
    expect(outbox.stats()).toMatchObject({ records: 3, lastSeq: 4 });
    expect(outbox.durability().autoVacuum).toBe("incremental");
    const queued = outbox.oldest(10);
    expect(queued.map((r) => [r.id, r.seq])).toEqual(records.map((r, i) => [r.id, i + 2]));
    expect(decodeCaptureRecord(queued[2]?.payload ?? new Uint8Array()).id).toBe(records[2]?.id);
    expect(outbox.verifyChain({ decrypt: true })).toMatchObject({ ok: true, checked: 3 });
    expect(outbox.enqueue(makeRecord(9)).seq).toBe(5);
    expect(outbox.verifyChain().ok).toBe(true);
    outboxes.closeAll();
    expect(readFileSync(path).indexOf(run)).toBe(-1);
  });

  it("builds the newest schema from empty, one recorded step per version", () => {
    const path = freshQueuePath();
    outboxes.open(path);
    outboxes.closeAll();
    const db = new Database(path, { readonly: true });
    const versions = db.prepare("SELECT version FROM schema_migrations ORDER BY version").all();
    db.close();
    expect(versions).toEqual(OUTBOX_MIGRATIONS.map(({ version }) => ({ version })));
  });
});

describe("outbox start-up check", () => {
  it("moves a damaged file and its WAL aside, starts fresh and says where the old one went", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    outbox.enqueue(makeRecord());
    outboxes.closeAll();
    const bytes = readFileSync(path);
    // Overwrite the middle of the file (past the header) with rubbish.
    bytes.fill(0xa5, 4096, bytes.length);
    writeFileSync(path, bytes);
    const fresh = outboxes.open(path);
    expect(fresh.damaged?.movedTo).toMatch(/queue\.sqlite\.damaged-\d{4}-/);
    expect(fresh.damaged?.problem).not.toBe("ok");
    expect(existsSync(fresh.damaged?.movedTo ?? "")).toBe(true);
    expect(fresh.stats()).toMatchObject({ records: 0 });
    expect(fresh.enqueue(makeRecord(2)).seq).toBe(1);
  });
});
