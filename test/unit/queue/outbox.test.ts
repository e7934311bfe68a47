import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { migrate, MigrationError, OUTBOX_MIGRATIONS } from "../../../agent/queue/migrations.js";
import { Outbox } from "../../../agent/queue/outbox.js";
import { decodeCaptureRecord } from "../../../agent/records/record-codec.js";
import { makeRecord } from "../../support/records.js";

const opened: Outbox[] = [];
function openOutbox(path: string): Outbox {
  const outbox = Outbox.open(path);
  opened.push(outbox);
  return outbox;
}
afterEach(() => {
  for (const outbox of opened.splice(0)) outbox.close();
});

const freshPath = (): string =>
  join(mkdtempSync(join(tmpdir(), "basma-outbox-")), "nested", "queue.sqlite");

describe("outbox", () => {
  it("opens a file with WAL, synchronous=FULL and secure_delete, creating its folder", () => {
    const path = freshPath();
    openOutbox(path).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
    // synchronous and secure_delete are per connection: ask the outbox's own.
    const outbox = openOutbox(path);
    expect(outbox.durability()).toEqual({
      journalMode: "wal",
      synchronous: "full",
      secureDelete: "fast",
      autoVacuum: "incremental",
    });
    expect(outbox.stats()).toEqual({
      records: 0,
      payloadBytes: 0,
      oldestCreatedAt: null,
      oldestEnqueuedAt: null,
      lastSeq: 0,
      inFlight: 0,
      quarantined: 0,
    });
  });

  it("numbers records 1, 2, 3 and hands them back oldest first, payload intact", () => {
    const outbox = openOutbox(freshPath());
    const records = [makeRecord(1), makeRecord(2), makeRecord(3)];
    const queued = records.map((record) => outbox.enqueue(record));
    expect(queued.map((q) => q.seq)).toEqual([1, 2, 3]);
    const oldest = outbox.oldest(10);
    expect(oldest.map((r) => r.id)).toEqual(records.map((r) => r.id));
    const decoded = decodeCaptureRecord(oldest[1]?.payload ?? new Uint8Array());
    expect(decoded.id).toBe(records[1]?.id);
    expect(
      Buffer.from(decoded.fingers[0]?.image?.pixels ?? []).equals(
        Buffer.from(records[1]?.fingers[0]?.image?.pixels ?? [1]),
      ),
    ).toBe(true);
    expect(outbox.oldest(2)).toHaveLength(2);
  });

  it("deletes a record on acknowledgement and treats a repeated ack as harmless", () => {
    const outbox = openOutbox(freshPath());
    const { id } = outbox.enqueue(makeRecord());
    expect(outbox.acknowledge(id)).toBe(true);
    expect(outbox.acknowledge(id)).toBe(false);
    expect(outbox.acknowledge("0190e9a4-0000-7000-8000-000000000000")).toBe(false);
    expect(outbox.stats().records).toBe(0);
  });

  it("never issues a sequence number twice, even after every record is gone and the file is reopened", () => {
    const path = freshPath();
    let outbox = openOutbox(path);
    const first = outbox.enqueue(makeRecord(1));
    const second = outbox.enqueue(makeRecord(2));
    outbox.acknowledge(first.id);
    outbox.acknowledge(second.id);
    outbox.close();
    outbox = openOutbox(path);
    expect(outbox.enqueue(makeRecord(3)).seq).toBe(3);
    expect(outbox.stats().lastSeq).toBe(3);
  });

  it("keeps what was enqueued across close and reopen", () => {
    const path = freshPath();
    const outbox = openOutbox(path);
    const ids = [outbox.enqueue(makeRecord(1)).id, outbox.enqueue(makeRecord(2)).id];
    outbox.close();
    const reopened = openOutbox(path);
    expect(reopened.oldest(10).map((r) => r.id)).toEqual(ids);
    const stats = reopened.stats();
    expect(stats.records).toBe(2);
    expect(stats.payloadBytes).toBeGreaterThan(2 * 64 * 48);
  });

  it("refuses a record id it already holds instead of overwriting it", () => {
    const outbox = openOutbox(freshPath());
    const record = makeRecord();
    outbox.enqueue(record);
    expect(() => outbox.enqueue(record)).toThrow(/UNIQUE/);
    expect(outbox.stats()).toMatchObject({ records: 1, lastSeq: 1 });
  });
});

describe("outbox migrations", () => {
  it("records each applied version once and is idempotent", () => {
    const db = new Database(":memory:");
    expect(migrate(db)).toEqual({ from: 0, to: OUTBOX_MIGRATIONS.length });
    expect(migrate(db)).toEqual({ from: OUTBOX_MIGRATIONS.length, to: OUTBOX_MIGRATIONS.length });
    const versions = db
      .prepare<[], { version: number }>("SELECT version FROM schema_migrations ORDER BY version")
      .all();
    expect(versions.map((v) => v.version)).toEqual(OUTBOX_MIGRATIONS.map((m) => m.version));
    db.close();
  });

  it("applies only the versions a database lacks, in order", () => {
    const db = new Database(":memory:");
    const extra = [
      ...OUTBOX_MIGRATIONS,
      {
        version: OUTBOX_MIGRATIONS.length + 1,
        description: "test column",
        sql: "ALTER TABLE records ADD COLUMN note TEXT",
      },
    ];
    migrate(db);
    expect(migrate(db, extra)).toEqual({ from: OUTBOX_MIGRATIONS.length, to: extra.length });
    expect(db.prepare("SELECT note FROM records").all()).toEqual([]);
    db.close();
  });

  it("rolls a failing migration back whole", () => {
    const db = new Database(":memory:");
    migrate(db);
    const broken = [
      ...OUTBOX_MIGRATIONS,
      {
        version: 99,
        description: "half",
        sql: "CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table;",
      },
    ];
    expect(() => migrate(db, broken)).toThrow(/no_such_table/);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").all()).toEqual([]);
    expect(db.prepare("SELECT max(version) AS v FROM schema_migrations").get()).toEqual({
      v: OUTBOX_MIGRATIONS.length,
    });
    db.close();
  });

  it("refuses a database written by a newer agent", () => {
    const path = freshPath();
    openOutbox(path).close();
    const db = new Database(path);
    db.prepare(
      "INSERT INTO schema_migrations (version, applied_at, description) VALUES (999, 'now', 'future')",
    ).run();
    db.close();
    expect(() => Outbox.open(path)).toThrow(MigrationError);
  });
});
