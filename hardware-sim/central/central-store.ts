import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

export interface StoredRecord {
  readonly id: string;
  readonly deviceId: string;
  readonly seq: number;
  readonly createdAt: string;
  readonly receivedAt: string;
  readonly fingers: number;
  readonly payload: Uint8Array;
}

/** A record's place in its device's chain, as received (records from v1 devices have none). */
export interface StoredChainEntry {
  readonly deviceId: string;
  readonly seq: number;
  readonly previousLink: Uint8Array;
  readonly link: Uint8Array;
  readonly signer: Uint8Array;
}

/** What the reference centre holds: every record it acknowledged, once per id. */
export class CentralStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<
    [string, string, number, string, string, number, Uint8Array]
  >;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.#db = new Database(path);
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = FULL");
    this.#db.exec(`CREATE TABLE IF NOT EXISTS received (
      id          TEXT PRIMARY KEY,
      device_id   TEXT NOT NULL,
      seq         INTEGER NOT NULL,
      created_at  TEXT NOT NULL,
      received_at TEXT NOT NULL,
      fingers     INTEGER NOT NULL,
      payload     BLOB NOT NULL
    ) STRICT`);
    // A table of its own, so central stores written before the chain keep working.
    this.#db.exec(`CREATE TABLE IF NOT EXISTS received_chain (
      device_id     TEXT NOT NULL,
      seq           INTEGER NOT NULL,
      previous_link BLOB NOT NULL,
      link          BLOB NOT NULL,
      signer        BLOB NOT NULL,
      PRIMARY KEY (device_id, seq)
    ) STRICT`);
    this.#insert = this.#db.prepare(
      "INSERT INTO received (id, device_id, seq, created_at, received_at, fingers, payload) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    );
  }

  /** True when the record is new; a duplicate delivery changes nothing. */
  /** Runs `work` in one transaction: every store in it is durable together, or not at all. */
  batch<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  store(record: Omit<StoredRecord, "receivedAt">): boolean {
    const result = this.#insert.run(
      record.id,
      record.deviceId,
      record.seq,
      record.createdAt,
      new Date().toISOString(),
      record.fingers,
      record.payload,
    );
    return result.changes > 0;
  }

  /** Keeps the first chain entry for a (device, seq); a resent copy changes nothing. */
  storeChainEntry(entry: StoredChainEntry): void {
    this.#db
      .prepare(
        "INSERT INTO received_chain (device_id, seq, previous_link, link, signer) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      )
      .run(entry.deviceId, entry.seq, entry.previousLink, entry.link, entry.signer);
  }

  chainEntry(deviceId: string, seq: number): StoredChainEntry | undefined {
    return this.#db
      .prepare<[string, number], StoredChainEntry>(
        "SELECT device_id AS deviceId, seq, previous_link AS previousLink, link, signer FROM received_chain WHERE device_id = ? AND seq = ?",
      )
      .get(deviceId, seq);
  }

  list(): StoredRecord[] {
    return this.#db
      .prepare<[], StoredRecord>(
        "SELECT id, device_id AS deviceId, seq, created_at AS createdAt, received_at AS receivedAt, fingers, payload FROM received ORDER BY device_id, seq",
      )
      .all();
  }

  count(): number {
    return this.#db.prepare<[], { n: number }>("SELECT count(*) AS n FROM received").get()?.n ?? 0;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
