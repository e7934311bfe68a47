import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { ChainLookup } from "./chain-check.js";

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
  /** epochKey() of the chain: seqs restart at 1 in each epoch. */
  readonly epoch: string;
  readonly seq: number;
  readonly previousLink: Uint8Array;
  readonly link: Uint8Array;
  readonly signer: Uint8Array;
}

/** What the reference centre holds: every record it acknowledged, once per id. */
export class CentralStore implements ChainLookup {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<
    [string, string, number, string, string, number, Uint8Array]
  >;
  // Prepared once: the centre runs these for every record it receives.
  readonly #insertChainEntry: Database.Statement<
    [string, string, number, Uint8Array, Uint8Array, Uint8Array]
  >;
  readonly #entry: Database.Statement<[string, string, number], StoredChainEntry>;
  readonly #entryByLink: Database.Statement<[string, Uint8Array], { epoch: string; seq: number }>;

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.#db = new Database(path);
    // Records are ~150 KiB: in 64 KiB pages each is three overflow pages, not 37, which
    // cuts the writes, WAL frames and system calls of a store by half or more. A store
    // created with smaller pages keeps them (page_size only applies to a new file).
    this.#db.pragma("page_size = 65536");
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
    // Tables of their own, so central stores written before chains (and epochs) keep
    // working; the epoch-less table of earlier versions is simply no longer read.
    this.#db.exec(`CREATE TABLE IF NOT EXISTS chain_links (
      device_id     TEXT NOT NULL,
      epoch         TEXT NOT NULL,
      seq           INTEGER NOT NULL,
      previous_link BLOB NOT NULL,
      link          BLOB NOT NULL,
      signer        BLOB NOT NULL,
      PRIMARY KEY (device_id, epoch, seq)
    ) STRICT`);
    this.#db.exec(
      "CREATE INDEX IF NOT EXISTS chain_links_by_link ON chain_links (device_id, link)",
    );
    this.#insert = this.#db.prepare(
      "INSERT INTO received (id, device_id, seq, created_at, received_at, fingers, payload) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    );
    this.#insertChainEntry = this.#db.prepare(
      "INSERT INTO chain_links (device_id, epoch, seq, previous_link, link, signer) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    );
    this.#entry = this.#db.prepare(
      "SELECT device_id AS deviceId, epoch, seq, previous_link AS previousLink, link, signer FROM chain_links WHERE device_id = ? AND epoch = ? AND seq = ?",
    );
    this.#entryByLink = this.#db.prepare(
      "SELECT epoch, seq FROM chain_links WHERE device_id = ? AND link = ?",
    );
  }

  /** Runs `work` in one transaction: every store in it is durable together, or not at all. */
  batch<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  /** True when the record is new; a duplicate delivery changes nothing. */
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

  /** Keeps the first chain entry for a (device, epoch, seq); a resent copy changes nothing. */
  storeChainEntry(entry: StoredChainEntry): void {
    this.#insertChainEntry.run(
      entry.deviceId,
      entry.epoch,
      entry.seq,
      entry.previousLink,
      entry.link,
      entry.signer,
    );
  }

  entry(deviceId: string, epoch: string, seq: number): StoredChainEntry | undefined {
    return this.#entry.get(deviceId, epoch, seq);
  }

  entryByLink(deviceId: string, link: Uint8Array): { epoch: string; seq: number } | undefined {
    return this.#entryByLink.get(deviceId, link);
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
