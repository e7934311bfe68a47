import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { CaptureRecord } from "../records/capture-record.js";
import { encodeCaptureRecord } from "../records/record-codec.js";
import { migrate } from "./migrations.js";

export interface QueuedRecord {
  readonly id: string;
  readonly seq: number;
  readonly createdAt: string;
  readonly payload: Uint8Array;
}

export interface OutboxStats {
  readonly records: number;
  readonly payloadBytes: number;
  readonly oldestCreatedAt: string | null;
  readonly lastSeq: number;
}

/**
 * The durable outbox: every capture record lives here from the moment it is taken
 * until the centre confirms it holds it. better-sqlite3 is synchronous, so a
 * method that returns has committed (WAL + synchronous=FULL: fsynced).
 */
export class Outbox {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[string, number, string, Uint8Array, number]>;
  readonly #nextSeq: Database.Statement<[], { value: number }>;
  readonly #oldest: Database.Statement<[number], QueuedRecord>;
  readonly #delete: Database.Statement<[string]>;
  readonly #stats: Database.Statement<
    [],
    { records: number; payloadBytes: number | null; oldestCreatedAt: string | null }
  >;
  readonly #lastSeq: Database.Statement<[], { value: number }>;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare(
      "INSERT INTO records (id, seq, created_at, payload, payload_bytes) VALUES (?, ?, ?, ?, ?)",
    );
    this.#nextSeq = db.prepare(
      "UPDATE counters SET value = value + 1 WHERE name = 'record_seq' RETURNING value",
    );
    this.#oldest = db.prepare(
      "SELECT id, seq, created_at AS createdAt, payload FROM records ORDER BY seq LIMIT ?",
    );
    this.#delete = db.prepare("DELETE FROM records WHERE id = ?");
    this.#stats = db.prepare(
      "SELECT count(*) AS records, sum(payload_bytes) AS payloadBytes, min(created_at) AS oldestCreatedAt FROM records",
    );
    this.#lastSeq = db.prepare("SELECT value FROM counters WHERE name = 'record_seq'");
  }

  static open(path: string): Outbox {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = new Database(path);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.pragma("busy_timeout = 5000");
      // Acknowledged biometric payloads are overwritten, not just unlinked from the b-tree.
      db.pragma("secure_delete = ON");
      migrate(db);
      return new Outbox(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Stores one record in one transaction; returns once the commit is durable. */
  enqueue(record: CaptureRecord): { id: string; seq: number; payloadBytes: number } {
    const payload = encodeCaptureRecord(record);
    const seq = this.#db.transaction(() => {
      const next = this.#nextSeq.get();
      if (next === undefined)
        throw new Error("outbox counters are missing: the database is damaged");
      this.#insert.run(record.id, next.value, record.finishedAt, payload, payload.length);
      return next.value;
    })();
    return { id: record.id, seq, payloadBytes: payload.length };
  }

  /** The oldest records, in device sequence order. */
  oldest(limit: number): QueuedRecord[] {
    return this.#oldest.all(limit);
  }

  /** Removes a record the centre has confirmed; false when it was not here (a duplicate ack). */
  acknowledge(id: string): boolean {
    return this.#delete.run(id).changes > 0;
  }

  stats(): OutboxStats {
    const row = this.#stats.get();
    return {
      records: row?.records ?? 0,
      payloadBytes: row?.payloadBytes ?? 0,
      oldestCreatedAt: row?.oldestCreatedAt ?? null,
      lastSeq: this.#lastSeq.get()?.value ?? 0,
    };
  }

  /** The durability settings actually in force on this connection (for health and self-test). */
  durability(): {
    journalMode: string;
    synchronous: "off" | "normal" | "full" | "extra";
    secureDelete: boolean;
  } {
    const levels = ["off", "normal", "full", "extra"] as const;
    return {
      journalMode: String(this.#db.pragma("journal_mode", { simple: true })),
      synchronous: levels[Number(this.#db.pragma("synchronous", { simple: true }))] ?? "off",
      secureDelete: Number(this.#db.pragma("secure_delete", { simple: true })) === 1,
    };
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
