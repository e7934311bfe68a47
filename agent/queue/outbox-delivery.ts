import type Database from "better-sqlite3";
import type { QuarantinedRecord, QueuedRecord } from "./outbox-types.js";
import { openPayload, PayloadCipherError } from "./payload-cipher.js";

interface SealedRow {
  id: string;
  seq: number;
  createdAt: string;
  payload: Buffer;
  nonce: Buffer;
  wrappedKey: Buffer | null;
  previousLink: Buffer;
  link: Buffer;
  signature: Buffer;
}

export const SEALED_COLUMNS = `id, seq, created_at AS createdAt, payload, nonce,
  (SELECT wrapped_key FROM payload_keys k WHERE k.seq = records.seq) AS wrappedKey,
  previous_link AS previousLink, link, signature`;

/** Opens a row's payload, or says why it cannot be sent. */
export function openRow(dataKey: Buffer, epoch: Buffer | null, row: SealedRow): QueuedRecord {
  let payload: Buffer;
  try {
    payload = openPayload(dataKey, row.id, {
      nonce: row.nonce,
      ciphertext: row.payload,
      wrappedKey: row.wrappedKey,
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
    chain: {
      previousLink: row.previousLink,
      link: row.link,
      signature: row.signature,
      ...(epoch === null ? {} : { epoch }),
    },
  };
}

/**
 * Leases are kept in a table of the connection's own temporary schema: leasing then
 * writes nothing to the queue file and costs no fsync, and a lease ends with the
 * process that took it, whose in-flight records are unknown to any later one anyway.
 */
export function createLeaseTable(db: Database.Database): void {
  db.pragma("temp_store = MEMORY");
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS leases (
    seq         INTEGER PRIMARY KEY,
    lease_until INTEGER NOT NULL
  ) STRICT`);
}

/**
 * Waiting records (pending with no lease, or with one run out; never quarantined) in seq
 * order: one walk of the (state, seq) index, stopped at the limit. The lease and
 * quarantine tables are small, so each is one lookup per record passed.
 */
export const WAITING = (bound: string): string => `
  SELECT seq FROM records WHERE state = 'pending' AND ${bound}
    AND seq NOT IN (SELECT seq FROM leases WHERE lease_until > @now)
    AND seq NOT IN (SELECT seq FROM quarantine)
  ORDER BY seq LIMIT @limit`;

/**
 * Leasing, releasing and acknowledging. Candidates come from the (state, seq) index
 * in seq order with a LIMIT, so a lease costs the same with ten records or 100,000.
 * Leases live apart from the records (createLeaseTable) and an acknowledgement empties
 * the payload in the same statement that marks it, so each record's large row is read
 * once to send it and rewritten once, small, when the centre has it.
 * A record whose payload no longer opens (GCM tag, wrong key, a damaged page) is put in
 * quarantine as it is met, so it never blocks the records behind it.
 */
export class Delivery {
  readonly #db: Database.Database;
  readonly #dataKey: Buffer;
  readonly #epoch: Buffer | null;
  readonly #onQuarantine: ((record: QuarantinedRecord) => void) | undefined;
  readonly #live: Database.Statement<
    { after: number; now: number; limit: number },
    { seq: number }
  >;
  readonly #backlog: Database.Statement<
    { upTo: number; now: number; limit: number },
    { seq: number }
  >;
  readonly #row: Database.Statement<[number], SealedRow>;
  readonly #idOf: Database.Statement<[number], { id: string }>;
  readonly #mark: Database.Statement<[number, number]>;
  readonly #quarantine: Database.Statement<[number, string | null, string, string]>;
  readonly #waitingSeq: Database.Statement<[string], { seq: number }>;
  // Prepared once: these run for every record delivered, and a statement prepared per
  // call holds native memory until the garbage collector happens to finalise it.
  readonly #releaseAll: Database.Statement<[]>;
  readonly #releaseOne: Database.Statement<[string]>;
  readonly #acknowledgeOne: Database.Statement<[string, string], { seq: number }>;
  readonly #endLease: Database.Statement<[number]>;
  readonly #destroyKey: Database.Statement<[number]>;
  readonly #unquarantine: Database.Statement<[number]>;
  readonly #pruneTombstones: Database.Statement<[]>;

  constructor(
    db: Database.Database,
    dataKey: Buffer,
    epoch: Buffer | null,
    onQuarantine: ((record: QuarantinedRecord) => void) | undefined,
  ) {
    this.#db = db;
    this.#dataKey = dataKey;
    this.#epoch = epoch;
    this.#onQuarantine = onQuarantine;
    this.#live = db.prepare(WAITING("seq > @after"));
    this.#backlog = db.prepare(WAITING("seq <= @upTo"));
    this.#row = db.prepare(`SELECT ${SEALED_COLUMNS} FROM records WHERE seq = ?`);
    this.#idOf = db.prepare("SELECT id FROM records WHERE seq = ?");
    this.#waitingSeq = db.prepare("SELECT seq FROM records WHERE id = ? AND state = 'pending'");
    this.#mark = db.prepare("INSERT OR REPLACE INTO leases (lease_until, seq) VALUES (?, ?)");
    this.#quarantine = db.prepare(
      "INSERT OR IGNORE INTO quarantine (seq, id, reason, quarantined_at) VALUES (?, ?, ?, ?)",
    );
    this.#releaseAll = db.prepare("DELETE FROM leases");
    this.#releaseOne = db.prepare(
      "DELETE FROM leases WHERE seq = (SELECT seq FROM records WHERE id = ?)",
    );
    // secure_delete zeroes the payload's freed pages as part of this one rewrite.
    this.#acknowledgeOne = db.prepare(
      `UPDATE records SET state = 'deleted', acknowledged_at = ?, payload = X'', nonce = NULL
       WHERE id = ? AND state = 'pending' RETURNING seq`,
    );
    this.#endLease = db.prepare("DELETE FROM leases WHERE seq = ?");
    this.#destroyKey = db.prepare("DELETE FROM payload_keys WHERE seq = ?");
    this.#unquarantine = db.prepare("DELETE FROM quarantine WHERE seq = ?");
    this.#pruneTombstones = db.prepare(
      `DELETE FROM records WHERE state = 'deleted' AND seq < coalesce(
         (SELECT min(seq) FROM records WHERE state != 'deleted'),
         (SELECT max(seq) + 1 FROM records)) - 1`,
    );
  }

  /**
   * Up to `limit` waiting records, each leased for `leaseMs`: those above
   * `liveAfterSeq` first, oldest first, then the backlog, oldest first.
   */
  lease(limit: number, leaseMs: number, liveAfterSeq: number, now: number): QueuedRecord[] {
    const quarantined: QuarantinedRecord[] = [];
    const taken = this.#db
      .transaction(() => {
        const leased: QueuedRecord[] = [];
        const fill = (next: (room: number) => { seq: number }[]): void => {
          for (;;) {
            const room = limit - leased.length;
            if (room <= 0) return;
            const seqs = next(room);
            if (seqs.length === 0) return;
            for (const { seq } of seqs) {
              const record = this.#take(seq, now + leaseMs, quarantined);
              if (record !== undefined) leased.push(record);
            }
            // A full batch with nothing set aside means the room is used up.
            if (seqs.length < room) return;
          }
        };
        fill((room) => this.#live.all({ after: liveAfterSeq, now, limit: room }));
        if (liveAfterSeq > 0)
          fill((room) => this.#backlog.all({ upTo: liveAfterSeq, now, limit: room }));
        return leased;
      })
      .immediate();
    for (const record of quarantined) this.#onQuarantine?.(record);
    return taken;
  }

  /** Reads, opens and leases one record; quarantines it instead when it cannot be opened. */
  #take(
    seq: number,
    leaseUntil: number,
    quarantined: QuarantinedRecord[],
  ): QueuedRecord | undefined {
    let problem: string;
    try {
      const row = this.#row.get(seq);
      if (row === undefined)
        throw new MissingRowError(`seq ${seq} is indexed but its row is missing`);
      const record = openRow(this.#dataKey, this.#epoch, row);
      this.#mark.run(leaseUntil, seq);
      return record;
    } catch (error) {
      if (error instanceof PayloadCipherError)
        problem = "payload fails authentication (altered, damaged, or sealed under another key)";
      else if (isCorruption(error) || error instanceof MissingRowError)
        problem = `row on a damaged page (${(error as Error).message})`;
      else throw error;
    }
    let id: string | null = null;
    try {
      id = this.#idOf.get(seq)?.id ?? null;
    } catch {
      // The id is unreadable too; the seq alone identifies it.
    }
    const entry = {
      seq,
      id: id ?? `seq-${seq}`,
      reason: problem,
      quarantinedAt: new Date().toISOString(),
    };
    this.#quarantine.run(seq, id, problem, entry.quarantinedAt);
    quarantined.push(entry);
    return undefined;
  }

  /**
   * Sets aside a waiting record the centre refused: kept, never offered again, reported
   * like an unreadable one. Undefined when no such record waits (acknowledged meanwhile,
   * or already set aside).
   */
  setAside(id: string, reason: string): QuarantinedRecord | undefined {
    const entry = this.#db.transaction(() => {
      const row = this.#waitingSeq.get(id);
      if (row === undefined) return undefined;
      const quarantinedAt = new Date().toISOString();
      if (this.#quarantine.run(row.seq, id, reason, quarantinedAt).changes === 0) return undefined;
      this.#endLease.run(row.seq);
      return { seq: row.seq, id, reason, quarantinedAt };
    })();
    if (entry !== undefined) this.#onQuarantine?.(entry);
    return entry;
  }

  /** Gives leased records back: those named, or every lease at once without ids. */
  release(ids?: readonly string[]): number {
    if (ids === undefined) return this.#releaseAll.run().changes;
    return this.#db.transaction(() =>
      ids.reduce((n, id) => n + this.#releaseOne.run(id).changes, 0),
    )();
  }

  /**
   * Empties the payload of a record the centre holds (its seq, link and signature stay
   * as a tombstone); false when it was not waiting (a duplicate ack). The caller holds
   * the transaction, so that a burst of acks commits once.
   */
  acknowledge(id: string, at: Date): boolean {
    const row = this.#acknowledgeOne.get(at.toISOString(), id);
    if (row === undefined) return false;
    this.#endLease.run(row.seq);
    this.#destroyKey.run(row.seq);
    // Sent before its copy here was damaged: the centre's copy is what counts.
    this.#unquarantine.run(row.seq);
    return true;
  }

  /** Deletes the tombstones no waiting record needs as its predecessor; returns how many. */
  pruneTombstones(): number {
    return this.#pruneTombstones.run().changes;
  }
}

class MissingRowError extends Error {
  override readonly name = "MissingRowError";
}

function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === "string" && (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB")
  );
}
