import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import type { CaptureRecord } from "../records/capture-record.js";
import { encodeCaptureRecord } from "../records/record-codec.js";
import { verifyQueueChain, type ChainReport } from "./chain-verification.js";
import { sealLegacyRows } from "./legacy-sealing.js";
import { migrate } from "./migrations.js";
import { openPayload, PayloadCipherError, sealPayload } from "./payload-cipher.js";
import { openKeyring, type QueueKeyring } from "./queue-keyring.js";
import { chainLink, payloadDigest, signLink } from "./record-chain.js";
import { setAsideIfDamaged, type DamagedQueue } from "./startup-check.js";
import {
  assessHealth,
  DEFAULT_STORAGE_LIMITS,
  freeDiskBytes,
  QueueFullError,
  type QueueHealth,
  type StorageLimits,
} from "./storage-limits.js";

export type RecordState = "pending" | "in-flight" | "acknowledged" | "deleted";

/** What sync sends: the plaintext record (decrypted only here) and its place in the chain. */
export interface QueuedRecord {
  readonly id: string;
  readonly seq: number;
  readonly createdAt: string;
  readonly payload: Uint8Array;
  readonly chain: {
    readonly previousLink: Uint8Array;
    readonly link: Uint8Array;
    readonly signature: Uint8Array;
  };
}

/** A row's metadata, readable without the key. */
export interface QueuedRecordSummary {
  readonly id: string;
  readonly seq: number;
  readonly createdAt: string;
  readonly state: RecordState;
  readonly payloadBytes: number;
  readonly leaseUntil: string | null;
}

export interface OutboxStats {
  /** Records not yet acknowledged (pending and in flight). */
  readonly records: number;
  readonly payloadBytes: number;
  readonly oldestCreatedAt: string | null;
  readonly lastSeq: number;
  readonly inFlight: number;
}

export interface OutboxOptions {
  /** The device key file; by default `device-key` beside the queue file. */
  readonly keyFile?: string | undefined;
  /** Create the key file when absent and the queue has never been keyed (default true). */
  readonly createKeyFile?: boolean | undefined;
  readonly limits?: Partial<StorageLimits> | undefined;
  /** Called when the health level changes (ok, warning, full): the health alarm. */
  readonly onHealthChange?: ((health: QueueHealth) => void) | undefined;
  /** Caps the file's size in pages: a disk-full drill where no small file system can be mounted. */
  readonly maxPageCount?: number | undefined;
  /**
   * Run the start-up check and move a damaged file aside (default true). Tools that
   * only look at a queue (basma-agent queue ...) turn it off, so they never move the
   * file under a running agent; a damaged file then fails to open instead.
   */
  readonly startupCheck?: boolean | undefined;
  /** Refuse to create a queue file that does not exist yet (default false). */
  readonly mustExist?: boolean | undefined;
}

/** Per-state counts and sizes, for `basma-agent queue stats`. */
export interface OutboxInventory {
  readonly states: Readonly<Record<RecordState, { records: number; payloadBytes: number }>>;
  /** Of records not yet acknowledged (pending and in flight). */
  readonly oldestCreatedAt: string | null;
  readonly newestCreatedAt: string | null;
}

/** One live record as `basma-agent queue export` writes it: sealed, or opened with the key. */
export interface ExportedRecord {
  readonly id: string;
  readonly seq: number;
  readonly createdAt: string;
  readonly state: RecordState;
  readonly payloadDigest: Buffer;
  readonly previousLink: Buffer;
  readonly link: Buffer;
  readonly signature: Buffer;
  /** AES-256-GCM ciphertext and tag with its nonce, or (decrypted) the CBOR record itself. */
  readonly sealed?: { readonly nonce: Buffer; readonly ciphertext: Buffer };
  readonly payload?: Buffer;
}

interface SealedRow {
  id: string;
  seq: number;
  createdAt: string;
  payload: Buffer;
  nonce: Buffer;
  previousLink: Buffer;
  link: Buffer;
  signature: Buffer;
}

const SEALED_COLUMNS =
  "id, seq, created_at AS createdAt, payload, nonce, previous_link AS previousLink, link, signature";
const LIVE = "state IN ('pending', 'in-flight')";
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
  readonly #limits: StorageLimits;
  readonly #onHealthChange: ((health: QueueHealth) => void) | undefined;
  #healthLevel: QueueHealth["level"] | undefined;
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
    this.#limits = { ...DEFAULT_STORAGE_LIMITS, ...options.limits };
    this.#onHealthChange = options.onHealthChange;
    this.damaged = damaged;
    this.createdKeyFile = keyring.createdKeyFile;
  }

  static open(path: string, options: OutboxOptions = {}): Outbox {
    if (path !== ":memory:" && options.mustExist !== true)
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const damaged = options.startupCheck === false ? undefined : setAsideIfDamaged(path);
    const db = new Database(path, { fileMustExist: options.mustExist === true });
    try {
      // Only takes effect on a new file; older files are converted below.
      db.pragma("auto_vacuum = INCREMENTAL");
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.pragma("busy_timeout = 5000");
      // Acknowledged payloads are overwritten, not just unlinked from the b-tree.
      db.pragma("secure_delete = ON");
      migrate(db);
      if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${options.maxPageCount}`);
      if (Number(db.pragma("auto_vacuum", { simple: true })) !== 2) {
        db.pragma("auto_vacuum = INCREMENTAL");
        db.exec("VACUUM");
      }
      const keyring = openKeyring(db, options.keyFile ?? defaultKeyFile(path), {
        create: options.createKeyFile ?? true,
      });
      sealLegacyRows(db, keyring);
      const outbox = new Outbox(db, path, keyring, options, damaged);
      outbox.#scrubAcknowledged();
      return outbox;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Seals and stores one record in one transaction; returns once the commit is
   * durable. Throws QueueFullError, storing nothing, when a limit would be broken.
   */
  enqueue(record: CaptureRecord): { id: string; seq: number; payloadBytes: number } {
    return this.#append(record.id, record.finishedAt, encodeCaptureRecord(record));
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
    return this.#append(id, createdAt, payload);
  }

  /** Whether a row with this id exists in any state, tombstones included. */
  has(id: string): boolean {
    return (
      this.#db
        .prepare<[string], { one: number }>("SELECT 1 AS one FROM records WHERE id = ?")
        .get(id) !== undefined
    );
  }

  #append(
    id: string,
    createdAt: string,
    payload: Uint8Array,
  ): { id: string; seq: number; payloadBytes: number } {
    const { nonce, ciphertext } = sealPayload(this.#keyring.dataKey, id, payload);
    const room = assessHealth(this.#usage(), this.#limits, {
      records: 1,
      bytes: ciphertext.length,
    });
    if (room.level === "full") {
      this.#report(room);
      throw new QueueFullError(room.reasons);
    }
    const digest = payloadDigest(payload);
    let seq: number;
    try {
      // IMMEDIATE: another process (the agent, or a queue tool) may write to the same file.
      seq = this.#db
        .transaction(() => {
          const next = this.#db
            .prepare<[], { value: number }>(
              "UPDATE counters SET value = value + 1 WHERE name = 'record_seq' RETURNING value",
            )
            .get();
          const head = this.#db
            .prepare<[], { link: Buffer }>("SELECT link FROM chain_head WHERE id = 1")
            .get();
          if (next === undefined || head === undefined)
            throw new Error("outbox counters are missing: the database is damaged");
          const link = chainLink({
            id,
            seq: next.value,
            payloadDigest: digest,
            previousLink: head.link,
          });
          this.#db
            .prepare(
              `INSERT INTO records (id, seq, created_at, payload, payload_bytes, state, nonce,
               payload_digest, previous_link, link, signature)
             VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)`,
            )
            .run(
              id,
              next.value,
              createdAt,
              ciphertext,
              ciphertext.length,
              nonce,
              digest,
              head.link,
              link,
              signLink(this.#keyring.device.signingKey, link),
            );
          this.#db
            .prepare("UPDATE chain_head SET seq = ?, link = ? WHERE id = 1")
            .run(next.value, link);
          return next.value;
        })
        .immediate();
    } catch (error) {
      if ((error as { code?: string }).code === "SQLITE_FULL")
        throw new QueueFullError(["the disk is full (SQLITE_FULL); nothing was stored"]);
      throw error;
    }
    this.#largestRecordBytes = Math.max(this.#largestRecordBytes, ciphertext.length);
    this.#report(this.health());
    return { id, seq, payloadBytes: ciphertext.length };
  }

  /** Whether a new session's record would fit: the capture loop asks before starting one. */
  canAcceptSession(
    expectedBytes = Math.max(this.#largestRecordBytes, DEFAULT_SESSION_BYTES),
  ): boolean {
    return (
      assessHealth(this.#usage(), this.#limits, { records: 1, bytes: expectedBytes }).level !==
      "full"
    );
  }

  /** Storage use against the limits; `level` is the alarm the status publisher reports. */
  health(): QueueHealth {
    return assessHealth(this.#usage(), this.#limits);
  }

  /**
   * Takes up to `limit` records for delivery, oldest first: pending ones and those
   * whose lease has run out. Each is leased for `leaseMs`, so one lost by a crash or
   * a dropped connection is offered again once its lease expires.
   */
  lease(limit: number, leaseMs: number, now = Date.now()): QueuedRecord[] {
    const rows = this.#db.transaction(() => {
      const taken = this.#db
        .prepare<[number, number], SealedRow>(
          `SELECT ${SEALED_COLUMNS} FROM records
           WHERE state = 'pending' OR (state = 'in-flight' AND lease_until <= ?)
           ORDER BY seq LIMIT ?`,
        )
        .all(now, limit);
      const mark = this.#db.prepare(
        "UPDATE records SET state = 'in-flight', lease_until = ? WHERE id = ?",
      );
      for (const row of taken) mark.run(now + leaseMs, row.id);
      return taken;
    })();
    return rows.map((row) => this.#open(row));
  }

  /** Gives leased records back (all of them without ids), e.g. when the connection drops. */
  release(ids?: readonly string[]): number {
    if (ids === undefined) {
      return this.#db
        .prepare(
          "UPDATE records SET state = 'pending', lease_until = NULL WHERE state = 'in-flight'",
        )
        .run().changes;
    }
    const one = this.#db.prepare(
      "UPDATE records SET state = 'pending', lease_until = NULL WHERE id = ? AND state = 'in-flight'",
    );
    return this.#db.transaction(() => ids.reduce((n, id) => n + one.run(id).changes, 0))();
  }

  /** The oldest records not yet acknowledged, in device sequence order, decrypted. */
  oldest(limit: number): QueuedRecord[] {
    return this.#db
      .prepare<[number], SealedRow>(
        `SELECT ${SEALED_COLUMNS} FROM records WHERE ${LIVE} ORDER BY seq LIMIT ?`,
      )
      .all(limit)
      .map((row) => this.#open(row));
  }

  /** Metadata of the queue's rows, oldest first; tombstones only when asked. */
  list(limit: number, { includeDeleted = false } = {}): QueuedRecordSummary[] {
    return this.#db
      .prepare<[number], Omit<QueuedRecordSummary, "leaseUntil"> & { leaseUntil: number | null }>(
        `SELECT id, seq, created_at AS createdAt, state, payload_bytes AS payloadBytes,
           lease_until AS leaseUntil FROM records
         ${includeDeleted ? "" : `WHERE ${LIVE}`} ORDER BY seq LIMIT ?`,
      )
      .all(limit)
      .map((row) => ({
        ...row,
        leaseUntil: row.leaseUntil === null ? null : new Date(row.leaseUntil).toISOString(),
      }));
  }

  /**
   * Marks a record the centre has confirmed, then scrubs its payload; false when it
   * was not waiting (a duplicate ack). The seq, link and signature stay as a
   * tombstone until the next record no longer needs them to verify.
   */
  acknowledge(id: string): boolean {
    const changed = this.#db
      .prepare(
        `UPDATE records SET state = 'acknowledged', acknowledged_at = ?, lease_until = NULL
         WHERE id = ? AND ${LIVE}`,
      )
      .run(new Date().toISOString(), id).changes;
    if (changed === 0) return false;
    this.#scrubAcknowledged();
    this.#report(this.health());
    return true;
  }

  stats(): OutboxStats {
    const row = this.#db
      .prepare<
        [],
        {
          records: number;
          payloadBytes: number | null;
          oldestCreatedAt: string | null;
          inFlight: number | null;
        }
      >(
        `SELECT count(*) AS records, sum(payload_bytes) AS payloadBytes,
           min(created_at) AS oldestCreatedAt, sum(state = 'in-flight') AS inFlight
         FROM records WHERE ${LIVE}`,
      )
      .get();
    const lastSeq = this.#db
      .prepare<[], { value: number }>("SELECT value FROM counters WHERE name = 'record_seq'")
      .get();
    return {
      records: row?.records ?? 0,
      payloadBytes: row?.payloadBytes ?? 0,
      oldestCreatedAt: row?.oldestCreatedAt ?? null,
      lastSeq: lastSeq?.value ?? 0,
      inFlight: row?.inFlight ?? 0,
    };
  }

  /** Counts and payload bytes per state, and the age range of the records still waiting. */
  inventory(): OutboxInventory {
    const states: Record<RecordState, { records: number; payloadBytes: number }> = {
      pending: { records: 0, payloadBytes: 0 },
      "in-flight": { records: 0, payloadBytes: 0 },
      acknowledged: { records: 0, payloadBytes: 0 },
      deleted: { records: 0, payloadBytes: 0 },
    };
    const rows = this.#db
      .prepare<[], { state: RecordState; records: number; payloadBytes: number | null }>(
        `SELECT state, count(*) AS records, sum(payload_bytes) AS payloadBytes
         FROM records GROUP BY state`,
      )
      .all();
    for (const row of rows)
      states[row.state] = { records: row.records, payloadBytes: row.payloadBytes ?? 0 };
    const range = this.#db
      .prepare<[], { oldest: string | null; newest: string | null }>(
        `SELECT min(created_at) AS oldest, max(created_at) AS newest FROM records WHERE ${LIVE}`,
      )
      .get();
    return {
      states,
      oldestCreatedAt: range?.oldest ?? null,
      newestCreatedAt: range?.newest ?? null,
    };
  }

  /**
   * The records not yet acknowledged, in seq order, one at a time (a big queue never
   * sits in memory whole): sealed as stored, or with `decrypt` opened to the CBOR
   * record the centre would receive. Tombstones are left out.
   */
  *exportRecords({ decrypt = false } = {}): Generator<ExportedRecord> {
    const rows = this.#db
      .prepare<[], SealedRow & { state: RecordState; payloadDigest: Buffer }>(
        `SELECT ${SEALED_COLUMNS}, state, payload_digest AS payloadDigest FROM records
         WHERE ${LIVE} ORDER BY seq`,
      )
      .iterate();
    for (const row of rows) {
      const fields = {
        id: row.id,
        seq: row.seq,
        createdAt: row.createdAt,
        state: row.state,
        payloadDigest: row.payloadDigest,
        previousLink: row.previousLink,
        link: row.link,
        signature: row.signature,
      };
      yield decrypt
        ? { ...fields, payload: Buffer.from(this.#open(row).payload) }
        : { ...fields, sealed: { nonce: row.nonce, ciphertext: row.payload } };
    }
  }

  /** Live records (pending and in flight): what an export writes. */
  liveCount(): number {
    return (
      this.#db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM records WHERE ${LIVE}`).get()
        ?.n ?? 0
    );
  }

  /** Walks the whole chain; with `decrypt`, also proves each payload matches its digest. */
  verifyChain({ decrypt = false } = {}): ChainReport {
    return verifyQueueChain(
      this.#db,
      this.#keyring.device.verifyingKey,
      decrypt ? this.#keyring.dataKey : undefined,
    );
  }

  /** The durability settings actually in force on this connection (for health and self-test). */
  durability(): {
    journalMode: string;
    synchronous: "off" | "normal" | "full" | "extra";
    secureDelete: boolean;
    autoVacuum: "none" | "full" | "incremental";
  } {
    const levels = ["off", "normal", "full", "extra"] as const;
    const vacuum = ["none", "full", "incremental"] as const;
    return {
      journalMode: String(this.#db.pragma("journal_mode", { simple: true })),
      synchronous: levels[Number(this.#db.pragma("synchronous", { simple: true }))] ?? "off",
      secureDelete: Number(this.#db.pragma("secure_delete", { simple: true })) === 1,
      autoVacuum: vacuum[Number(this.#db.pragma("auto_vacuum", { simple: true }))] ?? "none",
    };
  }

  /** The device's Ed25519 public key (SubjectPublicKeyInfo DER), sent with every record. */
  get signer(): Buffer {
    return this.#keyring.device.verifyingKey.export({ type: "spki", format: "der" });
  }

  get path(): string {
    return this.#path;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #open(row: SealedRow): QueuedRecord {
    let payload: Buffer;
    try {
      payload = openPayload(this.#keyring.dataKey, row.id, {
        nonce: row.nonce,
        ciphertext: row.payload,
      });
    } catch (error) {
      if (!(error instanceof PayloadCipherError)) throw error;
      throw new PayloadCipherError(
        `record seq ${row.seq} (${row.id}) fails authentication: altered or damaged`,
      );
    }
    return {
      id: row.id,
      seq: row.seq,
      createdAt: row.createdAt,
      payload,
      chain: { previousLink: row.previousLink, link: row.link, signature: row.signature },
    };
  }

  #usage(): { records: number; bytes: number; freeDiskBytes: number | null } {
    const row = this.#db
      .prepare<[], { records: number; bytes: number | null }>(
        "SELECT count(*) AS records, sum(payload_bytes) AS bytes FROM records WHERE state != 'deleted'",
      )
      .get();
    return {
      records: row?.records ?? 0,
      bytes: row?.bytes ?? 0,
      freeDiskBytes: this.#path === ":memory:" ? null : freeDiskBytes(dirname(this.#path)),
    };
  }

  /**
   * Empties acknowledged payloads (secure_delete zeroes the freed pages), prunes
   * tombstones no live record needs as its predecessor, then checkpoints the WAL so
   * the old page images leave it too, and hands freed pages back to the file system.
   */
  #scrubAcknowledged(): void {
    const scrubbed = this.#db.transaction(() => {
      const changes = this.#db
        .prepare(
          `UPDATE records SET state = 'deleted', payload = X'', nonce = NULL, lease_until = NULL
           WHERE state = 'acknowledged'`,
        )
        .run().changes;
      this.#db
        .prepare(
          `DELETE FROM records WHERE state = 'deleted' AND seq < coalesce(
             (SELECT min(seq) FROM records WHERE state != 'deleted'),
             (SELECT max(seq) + 1 FROM records)) - 1`,
        )
        .run();
      return changes;
    })();
    if (scrubbed === 0 || this.#path === ":memory:") return;
    this.#db.pragma("wal_checkpoint(TRUNCATE)");
    this.#db.pragma("incremental_vacuum");
  }

  #report(health: QueueHealth): void {
    if (health.level === this.#healthLevel) return;
    const first = this.#healthLevel === undefined;
    this.#healthLevel = health.level;
    if (first && health.level === "ok") return;
    this.#onHealthChange?.(health);
  }
}
