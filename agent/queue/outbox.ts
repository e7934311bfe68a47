import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import type { CaptureRecord } from "../records/capture-record.js";
import { verifyQueueChain, type ChainReport } from "./chain-verification.js";
import { ChainAppender } from "./chain-appender.js";
import { sealLegacyRows } from "./legacy-sealing.js";
import { migrate } from "./migrations.js";
import { createLeaseTable, Delivery } from "./outbox-delivery.js";
import { Inspection } from "./outbox-inspection.js";
import type {
  ChainInfo,
  ExportedRecord,
  LeaseOptions,
  OutboxInventory,
  OutboxOptions,
  OutboxStats,
  QuarantinedRecord,
  QueuedRecord,
  QueuedRecordSummary,
} from "./outbox-types.js";
import { rotateDataKey } from "./data-key-rotation.js";
import { PayloadErasure } from "./payload-erasure.js";
import { openKeyring, type QueueKeyring } from "./queue-keyring.js";
import { sealCaptureRecord, sealEncoded, type SealedRecord } from "./record-sealing.js";
import { setAsideIfDamaged, type ChainHead, type DamagedQueue } from "./startup-check.js";
import { asStorageError, QueueStorageError } from "./storage-errors.js";
import { StorageGuard } from "./storage-guard.js";
import { DEFAULT_STORAGE_LIMITS, QueueFullError, type QueueHealth } from "./storage-limits.js";

/** SQLite's page cache for the queue's connection, in KiB. */
const PAGE_CACHE_KIB = 4096;

export type * from "./outbox-types.js";
export type { SealedRecord } from "./record-sealing.js";

/** Room kept for a session nobody has measured yet: a ten-print record is about 1 MiB. */
const DEFAULT_SESSION_BYTES = 2 * 1024 ** 2;

export function defaultKeyFile(queuePath: string): string {
  return join(dirname(queuePath), "device-key");
}

/**
 * The durable outbox: every capture record lives here, sealed and chained, from the
 * moment it is taken until the centre confirms it holds it. better-sqlite3 is
 * synchronous, so a method that returns has committed (WAL + synchronous=FULL: fsynced).
 */
export class Outbox {
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #keyring: QueueKeyring;
  readonly #guard: StorageGuard;
  readonly #appender: ChainAppender;
  readonly #delivery: Delivery;
  readonly #inspection: Inspection;
  readonly #erasure: PayloadErasure;
  readonly #signer: Buffer;
  readonly #syncNormal: Database.Statement<[]>;
  readonly #syncFull: Database.Statement<[]>;
  #largestRecordBytes = 0;
  /** Set when the start-up check found the file damaged and moved it aside. */
  readonly damaged: DamagedQueue | undefined;
  readonly createdKeyFile: boolean;

  private constructor(
    db: Database.Database,
    path: string,
    keyring: QueueKeyring,
    options: OutboxOptions,
    damaged: DamagedQueue | undefined,
  ) {
    this.#db = db;
    this.#path = path;
    this.#keyring = keyring;
    this.#guard = new StorageGuard(
      db,
      path,
      { ...DEFAULT_STORAGE_LIMITS, ...options.limits },
      options.onHealthChange,
    );
    this.#appender = new ChainAppender(db, keyring.device.signingKey);
    const epoch = this.#appender.epoch;
    this.#delivery = new Delivery(db, keyring.dataKey, epoch, (record) => {
      options.onQuarantine?.(record);
      this.#guard.report();
    });
    this.#inspection = new Inspection(db, keyring.dataKey, epoch);
    this.#erasure = new PayloadErasure(db, {
      persistent: path !== ":memory:",
      queueIsEmpty: () => this.#inspection.storedRecords() === 0,
    });
    this.#signer = keyring.device.verifyingKey.export({ type: "spki", format: "der" });
    this.#syncNormal = db.prepare("PRAGMA synchronous = NORMAL");
    this.#syncFull = db.prepare("PRAGMA synchronous = FULL");
    this.damaged = damaged;
    this.createdKeyFile = keyring.createdKeyFile;
  }

  static open(path: string, options: OutboxOptions = {}): Outbox {
    const doing = `opening the queue ${path}`;
    let db: Database.Database;
    let damaged: DamagedQueue | undefined;
    try {
      if (path !== ":memory:" && options.mustExist !== true)
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      damaged = options.startupCheck === false ? undefined : setAsideIfDamaged(path);
      db = new Database(path, { fileMustExist: options.mustExist === true });
    } catch (error) {
      throw asStorageError(error, doing, dirname(path));
    }
    try {
      // Only takes effect on a new file; older files are converted below.
      db.pragma("auto_vacuum = INCREMENTAL");
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.pragma("busy_timeout = 5000");
      // better-sqlite3 builds SQLite with a 16 MB page cache per connection, all of it
      // resident once a drain has passed through it. The queue reads each payload once
      // and the kernel caches the file anyway; 4 MB holds the b-tree's upper levels and
      // the pages being written. Measured: a 50,000-record drain peaks 20 MiB lower at
      // the same rate.
      db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
      // Acknowledged payloads are overwritten, not just unlinked from the b-tree.
      db.pragma("secure_delete = ON");
      const { from } = migrate(db);
      createLeaseTable(db);
      if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${options.maxPageCount}`);
      if (Number(db.pragma("auto_vacuum", { simple: true })) !== 2) {
        db.pragma("auto_vacuum = INCREMENTAL");
        db.exec("VACUUM");
      }
      if (damaged?.head !== undefined) followDamagedHead(db, damaged.head);
      const keyring = openKeyring(db, options.keyFile ?? defaultKeyFile(path), {
        create: options.createKeyFile ?? true,
      });
      // Only version 1 stored plaintext; looking for it in a newer file would read every row.
      if (from === 1) sealLegacyRows(db, keyring);
      const outbox = new Outbox(db, path, keyring, options, damaged);
      outbox.#delivery.pruneTombstones();
      outbox.#erasure.review();
      outbox.#erasure.checkpoint();
      return outbox;
    } catch (error) {
      db.close();
      throw asStorageError(error, doing, dirname(path));
    }
  }

  /**
   * Seals and stores one record in one transaction; returns once the commit is
   * durable. Throws QueueFullError, storing nothing, when a limit would be broken, and
   * QueueStorageError (a QueueFullError) when the disk is full or read-only.
   */
  enqueue(record: CaptureRecord): { id: string; seq: number; payloadBytes: number } {
    return this.append(this.seal(record));
  }

  /**
   * The CPU half of enqueue (CBOR encoding, digest, AES-256-GCM), which needs no
   * database: a caller may seal while the traveller is still at the gate.
   */
  seal(record: CaptureRecord): SealedRecord {
    return sealCaptureRecord(this.#keyring.dataKey, record);
  }

  /** The durable half of enqueue: limits, chain link and signature, one fsynced commit. */
  append(sealed: SealedRecord): { id: string; seq: number; payloadBytes: number } {
    const bytes = sealed.ciphertext.length;
    const room = this.#guard.assess({ records: 1, bytes });
    if (room.level === "full") {
      this.#guard.report(room);
      throw new QueueFullError(room.reasons);
    }
    let seq: number;
    try {
      seq = this.#appender.append(sealed);
    } catch (error) {
      const refused = asStorageError(error, `storing record ${sealed.id}`);
      if (refused instanceof QueueStorageError) this.#guard.refused(refused, bytes);
      throw refused;
    }
    this.#guard.accepted();
    this.#largestRecordBytes = Math.max(this.#largestRecordBytes, bytes);
    this.#guard.report();
    return { id: sealed.id, seq, payloadBytes: bytes };
  }

  /**
   * Appends a record salvaged from a damaged queue: the encoded record exactly as it
   * was (its digest unchanged), under its own id, at the end of this queue's chain
   * with the next seq. Returns undefined, storing nothing, when the id is already here.
   */
  restore(
    id: string,
    createdAt: string,
    payload: Uint8Array,
  ): { id: string; seq: number; payloadBytes: number } | undefined {
    if (this.has(id)) return undefined;
    return this.append(sealEncoded(this.#keyring.dataKey, id, createdAt, payload));
  }

  /** Whether a row with this id exists in any state, tombstones included. */
  has(id: string): boolean {
    return (
      this.#db
        .prepare<[string], { one: number }>("SELECT 1 AS one FROM records WHERE id = ?")
        .get(id) !== undefined
    );
  }

  /** Whether a new session's record would fit: the capture loop asks before starting one. */
  canAcceptSession(
    expectedBytes = Math.max(this.#largestRecordBytes, DEFAULT_SESSION_BYTES),
  ): boolean {
    const room = this.#guard.assess({ records: 1, bytes: expectedBytes });
    return room.level !== "full";
  }

  /** Storage use against the limits; `level` is the alarm the status publisher reports. */
  health(): QueueHealth {
    const health = this.#guard.assess();
    this.#guard.report(health);
    return health;
  }

  /**
   * Takes up to `limit` waiting records for delivery (pending ones and those whose
   * lease ran out), each leased for `leaseMs` so one lost by a crash or a dropped
   * connection is offered again once its lease expires. With `liveAfterSeq`, records
   * above that seq come first (live sessions ahead of the backlog), each group oldest
   * first. A record whose payload fails authentication is quarantined, not returned.
   */
  lease(limit: number, leaseMs: number, options: LeaseOptions | number = {}): QueuedRecord[] {
    // A number is the clock, as the first version of this method took it.
    const { liveAfterSeq = 0, now = Date.now() } =
      typeof options === "number" ? { now: options } : options;
    return this.#delivery.lease(limit, leaseMs, liveAfterSeq, now);
  }

  /** Gives leased records back: those named, or every lease at once without ids (a resync). */
  release(ids?: readonly string[]): number {
    return this.#delivery.release(ids);
  }

  /**
   * Empties the payload of a record the centre has confirmed; false when it was not
   * waiting (a duplicate ack). The seq, link and signature stay as a tombstone until
   * the next record no longer needs them to verify.
   */
  acknowledge(id: string): boolean {
    return this.acknowledgeMany([id]).length === 1;
  }

  /**
   * Sets aside a record the centre refused for good (a refusal acknowledgement): it stays
   * in the queue, counted as quarantined and reported, and is not sent again.
   */
  setAside(id: string, reason: string): QuarantinedRecord | undefined {
    const entry = this.#delivery.setAside(id, reason);
    if (entry !== undefined) this.#guard.report();
    return entry;
  }

  /**
   * A fresh data key for the queue (the rotate-keys command): every waiting payload is
   * re-encrypted under it in one transaction. Returns how many were.
   */
  rotateDataKey(): { resealed: number } {
    const result = rotateDataKey(this.#db, this.#keyring);
    // Payloads sealed under the old data key now have keys of their own.
    this.#erasure.review();
    // The old wrappings' and ciphertexts' page images must leave the WAL too.
    this.#erasure.checkpoint();
    return result;
  }

  /**
   * Several confirmations in one transaction (acks arrive in bursts while a backlog
   * drains). Returns the ids that were waiting (the rest were duplicates).
   */
  acknowledgeMany(ids: readonly string[]): string[] {
    const at = new Date();
    const acknowledge = this.#db.transaction(() => {
      const waiting = ids.filter((id) => this.#delivery.acknowledge(id, at));
      if (waiting.length > 0) this.#delivery.pruneTombstones();
      return waiting;
    });
    // The one commit that need not wait for its fsync: an acknowledgement lost to a power
    // cut costs a second copy of the record, which the centre drops by its id. The next
    // enqueue's fsync, or the checkpoint, takes it to the disk. (WAL stays consistent
    // under synchronous=NORMAL; only the newest commits can be lost.)
    this.#syncNormal.run();
    let done: string[];
    try {
      done = acknowledge();
    } finally {
      this.#syncFull.run();
    }
    if (done.length > 0) {
      this.#erasure.acknowledged();
      this.#guard.report();
    }
    return done;
  }

  /** The oldest records not yet acknowledged, in device sequence order, decrypted. */
  oldest(limit: number): QueuedRecord[] {
    return this.#inspection.oldest(limit);
  }

  /** Metadata of the queue's rows, oldest first; tombstones only when asked. */
  list(limit: number, options: { includeDeleted?: boolean } = {}): QueuedRecordSummary[] {
    return this.#inspection.list(limit, options);
  }

  stats(): OutboxStats {
    return this.#inspection.stats();
  }

  /** Counts and payload bytes per state, and the age range of the records still waiting. */
  inventory(): OutboxInventory {
    return this.#inspection.inventory();
  }

  /** Records held back because their payload no longer opens, oldest first. */
  quarantined(): QuarantinedRecord[] {
    return this.#inspection.quarantined();
  }

  /** The live records in seq order, sealed or (with `decrypt`) opened; see Inspection. */
  exportRecords(options: { decrypt?: boolean } = {}): Generator<ExportedRecord> {
    return this.#inspection.exportRecords(options);
  }

  /** Live records (pending and in flight): what an export writes. */
  liveCount(): number {
    return this.#inspection.liveCount();
  }

  /** This queue's chain epoch, and the chain it follows when it began after a reset. */
  chain(): ChainInfo {
    const row = this.#db
      .prepare<
        [],
        { epoch: Buffer | null; followsEpoch: Buffer | null; followsSeq: number | null }
      >(
        "SELECT epoch, follows_epoch AS followsEpoch, follows_seq AS followsSeq FROM chain_head WHERE id = 1",
      )
      .get();
    return {
      epoch: row?.epoch ?? null,
      follows:
        row?.followsSeq === null || row?.followsSeq === undefined
          ? null
          : { epoch: row.followsEpoch, seq: row.followsSeq },
    };
  }

  /** Walks the whole chain; with `decrypt`, also proves each payload matches its digest. */
  verifyChain({ decrypt = false } = {}): ChainReport {
    return verifyQueueChain(
      this.#db,
      this.#keyring.device.verifyingKey,
      decrypt ? this.#keyring.dataKey : undefined,
    );
  }

  /** SQLite's quick_check over every page: what the start-up check leaves out to stay fast. */
  checkPages(): string {
    const rows = this.#db.pragma("quick_check") as { quick_check: string }[];
    const problems = rows.map((row) => row.quick_check).filter((line) => line !== "ok");
    return problems.length === 0 ? "ok" : problems.slice(0, 5).join("; ");
  }

  /** The durability settings actually in force on this connection (for health and self-test). */
  durability(): {
    journalMode: string;
    synchronous: "off" | "normal" | "full" | "extra";
    /** "on" overwrites freed pages; "fast" erases payloads by deleting their keys. */
    secureDelete: "on" | "fast" | "off";
    autoVacuum: "none" | "full" | "incremental";
  } {
    const levels = ["off", "normal", "full", "extra"] as const;
    const vacuum = ["none", "full", "incremental"] as const;
    return {
      journalMode: String(this.#db.pragma("journal_mode", { simple: true })),
      synchronous: levels[Number(this.#db.pragma("synchronous", { simple: true }))] ?? "off",
      secureDelete:
        (["off", "on", "fast"] as const)[
          Number(this.#db.pragma("secure_delete", { simple: true }))
        ] ?? "off",
      autoVacuum: vacuum[Number(this.#db.pragma("auto_vacuum", { simple: true }))] ?? "none",
    };
  }

  /** The device's Ed25519 public key (SubjectPublicKeyInfo DER), sent with every record. */
  get signer(): Buffer {
    return this.#signer;
  }

  get path(): string {
    return this.#path;
  }

  close(): void {
    if (!this.#db.open) return;
    this.#erasure.close();
    this.#db.close();
  }
}

/**
 * A fresh queue that replaces a damaged one starts a new chain epoch whose first
 * record follows the damaged file's head, when it could be read: the centre sees a
 * declared restart of seq 1, not records gone missing.
 */
function followDamagedHead(db: Database.Database, head: ChainHead): void {
  db.prepare(
    `UPDATE chain_head SET link = ?, follows_epoch = ?, follows_seq = ?
     WHERE id = 1 AND seq = 0 AND epoch IS NOT NULL`,
  ).run(head.link, head.epoch, head.seq);
}
