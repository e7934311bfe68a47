import type Database from "better-sqlite3";
import { openRow, SEALED_COLUMNS } from "./outbox-delivery.js";
import type {
  ExportedRecord,
  OutboxInventory,
  OutboxStats,
  QuarantinedRecord,
  QueuedRecordSummary,
  RecordState,
} from "./outbox-types.js";

const LIVE = "state = 'pending'";
/** A waiting record is in flight while it holds a lease (records `r`, leases `l`). */
const STATE = "iif(l.seq IS NULL, r.state, 'in-flight')";

const msToIso = (ms: number | null): string | null =>
  ms === null ? null : new Date(ms).toISOString();

/**
 * Read-only views of the queue for the status topic and `basma-agent queue`. Every
 * figure the agent asks for often comes from an index or the counters, never from
 * reading the records themselves.
 */
export class Inspection {
  readonly #db: Database.Database;
  readonly #dataKey: Buffer;
  readonly #epoch: Buffer | null;
  readonly #liveTotals: Database.Statement<
    [],
    { records: number; payloadBytes: number | null; inFlight: number | null }
  >;
  readonly #oldest: Database.Statement<[], { createdAt: string; enqueuedAt: number | null }>;
  readonly #lastSeq: Database.Statement<[], { value: number }>;
  readonly #quarantined: Database.Statement<[], { n: number }>;
  readonly #stored: Database.Statement<[], { value: number }>;

  constructor(db: Database.Database, dataKey: Buffer, epoch: Buffer | null) {
    this.#db = db;
    this.#dataKey = dataKey;
    this.#epoch = epoch;
    // The trigger-kept totals cover every row not yet emptied: the waiting records.
    this.#liveTotals = db.prepare(
      `SELECT
         (SELECT value FROM counters WHERE name = 'stored_records') AS records,
         (SELECT value FROM counters WHERE name = 'stored_bytes') AS payloadBytes,
         (SELECT count(*) FROM leases) AS inFlight`,
    );
    // Seq order is queue order: the first live row is the one waiting longest.
    this.#oldest = db.prepare(
      `SELECT created_at AS createdAt, enqueued_at AS enqueuedAt FROM records
       WHERE seq = (SELECT min(seq) FROM records WHERE ${LIVE})`,
    );
    this.#lastSeq = db.prepare("SELECT value FROM counters WHERE name = 'record_seq'");
    this.#quarantined = db.prepare(`SELECT count(*) AS n FROM quarantine`);
    this.#stored = db.prepare("SELECT value FROM counters WHERE name = 'stored_records'");
  }

  /** Rows still holding a payload, from the trigger-kept counter: no table read. */
  storedRecords(): number {
    return this.#stored.get()?.value ?? 0;
  }

  stats(): OutboxStats {
    const totals = this.#liveTotals.get();
    const oldest = this.#oldest.get();
    return {
      records: totals?.records ?? 0,
      payloadBytes: totals?.payloadBytes ?? 0,
      oldestCreatedAt: oldest?.createdAt ?? null,
      // Rows queued before enqueue times were kept count from their capture.
      oldestEnqueuedAt:
        oldest === undefined ? null : (msToIso(oldest.enqueuedAt) ?? oldest.createdAt),
      lastSeq: this.#lastSeq.get()?.value ?? 0,
      inFlight: totals?.inFlight ?? 0,
      quarantined: this.#quarantined.get()?.n ?? 0,
    };
  }

  /** Counts and payload bytes per state (quarantined apart), and the waiting records' age range. */
  inventory(): OutboxInventory {
    const states: Record<RecordState, { records: number; payloadBytes: number }> = {
      pending: { records: 0, payloadBytes: 0 },
      "in-flight": { records: 0, payloadBytes: 0 },
      acknowledged: { records: 0, payloadBytes: 0 },
      deleted: { records: 0, payloadBytes: 0 },
    };
    const rows = this.#db
      .prepare<[], { state: RecordState; records: number; payloadBytes: number | null }>(
        `SELECT ${STATE} AS state, count(*) AS records, sum(r.payload_bytes) AS payloadBytes
         FROM records r LEFT JOIN leases l ON l.seq = r.seq GROUP BY 1`,
      )
      .all();
    for (const row of rows)
      states[row.state] = { records: row.records, payloadBytes: row.payloadBytes ?? 0 };
    const held = this.#db
      .prepare<[], { records: number; payloadBytes: number | null }>(
        `SELECT count(*) AS records, sum(r.payload_bytes) AS payloadBytes
         FROM quarantine q JOIN records r ON r.seq = q.seq
         WHERE r.state = 'pending' AND q.seq NOT IN (SELECT seq FROM leases)`,
      )
      .get();
    const quarantined = { records: held?.records ?? 0, payloadBytes: held?.payloadBytes ?? 0 };
    states.pending = {
      records: states.pending.records - quarantined.records,
      payloadBytes: states.pending.payloadBytes - quarantined.payloadBytes,
    };
    const ends = this.#db
      .prepare<[], { oldest: string | null; newest: string | null }>(
        `SELECT (SELECT created_at FROM records WHERE seq = (SELECT min(seq) FROM records WHERE ${LIVE})) AS oldest,
                (SELECT created_at FROM records WHERE seq = (SELECT max(seq) FROM records WHERE ${LIVE})) AS newest`,
      )
      .get();
    return {
      states,
      quarantined,
      oldestCreatedAt: ends?.oldest ?? null,
      newestCreatedAt: ends?.newest ?? null,
    };
  }

  /** The records held in quarantine, oldest first. */
  quarantined(): QuarantinedRecord[] {
    return this.#db
      .prepare<[], { seq: number; id: string | null; reason: string; quarantinedAt: string }>(
        "SELECT seq, id, reason, quarantined_at AS quarantinedAt FROM quarantine ORDER BY seq",
      )
      .all()
      .map((row) => ({ ...row, id: row.id ?? `seq-${row.seq}` }));
  }

  /** Metadata of the queue's rows, oldest first; tombstones only when asked. */
  list(limit: number, { includeDeleted = false } = {}): QueuedRecordSummary[] {
    return this.#db
      .prepare<
        [number],
        Omit<QueuedRecordSummary, "leaseUntil" | "quarantined"> & {
          leaseUntil: number | null;
          quarantined: string | null;
        }
      >(
        `SELECT r.id, r.seq, r.created_at AS createdAt, ${STATE} AS state,
           r.payload_bytes AS payloadBytes, l.lease_until AS leaseUntil, q.reason AS quarantined
         FROM records r LEFT JOIN quarantine q ON q.seq = r.seq LEFT JOIN leases l ON l.seq = r.seq
         ${includeDeleted ? "" : `WHERE r.${LIVE}`} ORDER BY r.seq LIMIT ?`,
      )
      .all(limit)
      .map(({ quarantined, ...row }) => ({
        ...row,
        leaseUntil: msToIso(row.leaseUntil),
        ...(quarantined === null ? {} : { quarantined }),
      }));
  }

  /** Live records (pending and in flight): what an export writes. */
  liveCount(): number {
    return (
      this.#db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM records WHERE ${LIVE}`).get()
        ?.n ?? 0
    );
  }

  /** The oldest records not yet acknowledged, in seq order, decrypted. */
  oldest(limit: number): ReturnType<typeof openRow>[] {
    return this.#db
      .prepare<[number], Parameters<typeof openRow>[2]>(
        `SELECT ${SEALED_COLUMNS} FROM records WHERE ${LIVE} ORDER BY seq LIMIT ?`,
      )
      .all(limit)
      .map((row) => openRow(this.#dataKey, this.#epoch, row));
  }

  /**
   * The records not yet acknowledged, in seq order, one at a time (a big queue never
   * sits in memory whole): sealed as stored, or with `decrypt` opened to the CBOR
   * record the centre would receive. Tombstones are left out.
   */
  *exportRecords({ decrypt = false } = {}): Generator<ExportedRecord> {
    const rows = this.#db
      .prepare<[], Parameters<typeof openRow>[2] & { state: RecordState; payloadDigest: Buffer }>(
        `SELECT ${SEALED_COLUMNS}, iif(seq IN (SELECT seq FROM leases), 'in-flight', state) AS state,
           payload_digest AS payloadDigest
         FROM records WHERE ${LIVE} ORDER BY seq`,
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
        ? { ...fields, payload: Buffer.from(openRow(this.#dataKey, this.#epoch, row).payload) }
        : {
            ...fields,
            sealed: { nonce: row.nonce, ciphertext: row.payload, wrappedKey: row.wrappedKey },
          };
    }
  }
}
