import type Database from "better-sqlite3";
import type { QuarantinedRecord, QueuedRecord } from "./outbox-types.js";
import { openPayload, PayloadCipherError } from "./payload-cipher.js";

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

export const SEALED_COLUMNS =
  "id, seq, created_at AS createdAt, payload, nonce, previous_link AS previousLink, link, signature";

/** Opens a row's payload, or says why it cannot be sent. */
export function openRow(dataKey: Buffer, epoch: Buffer | null, row: SealedRow): QueuedRecord {
  let payload: Buffer;
  try {
    payload = openPayload(dataKey, row.id, { nonce: row.nonce, ciphertext: row.payload });
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
 * Waiting records (pending, or in flight with the lease run out; never quarantined) in
 * seq order: one walk of the (state, seq) index per state, merged, stopped at the limit.
 */
export const WAITING = (bound: string): string => `
  SELECT seq FROM (
    SELECT seq FROM records WHERE state = 'pending' AND ${bound}
    UNION ALL
    SELECT seq FROM records WHERE state = 'in-flight' AND ${bound} AND lease_until <= @now
  ) WHERE seq NOT IN (SELECT seq FROM quarantine) ORDER BY seq LIMIT @limit`;

/**
 * Leasing, releasing and acknowledging. Candidates come from the (state, seq) index
 * in seq order with a LIMIT, so a lease costs the same with ten records or 100,000.
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
  // Prepared once: these run for every record delivered, and a statement prepared per
  // call holds native memory until the garbage collector happens to finalise it.
  readonly #releaseAll: Database.Statement<[]>;
  readonly #releaseOne: Database.Statement<[string]>;
  readonly #acknowledgeOne: Database.Statement<[string, string]>;
  readonly #unquarantine: Database.Statement<[string]>;
  readonly #scrub: Database.Statement<[]>;
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
    this.#mark = db.prepare(
      "UPDATE records SET state = 'in-flight', lease_until = ? WHERE seq = ?",
    );
    this.#quarantine = db.prepare(
      "INSERT OR IGNORE INTO quarantine (seq, id, reason, quarantined_at) VALUES (?, ?, ?, ?)",
    );
    this.#releaseAll = db.prepare(
      "UPDATE records SET state = 'pending', lease_until = NULL WHERE state = 'in-flight'",
    );
    this.#releaseOne = db.prepare(
      "UPDATE records SET state = 'pending', lease_until = NULL WHERE id = ? AND state = 'in-flight'",
    );
    this.#acknowledgeOne = db.prepare(
      `UPDATE records SET state = 'acknowledged', acknowledged_at = ?, lease_until = NULL
       WHERE id = ? AND state IN ('pending', 'in-flight')`,
    );
    this.#unquarantine = db.prepare("DELETE FROM quarantine WHERE id = ?");
    this.#scrub = db.prepare(
      `UPDATE records SET state = 'deleted', payload = X'', nonce = NULL, lease_until = NULL
       WHERE state = 'acknowledged'`,
    );
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

  /** Gives leased records back: those named, or every lease at once without ids. */
  release(ids?: readonly string[]): number {
    if (ids === undefined) return this.#releaseAll.run().changes;
    return this.#db.transaction(() =>
      ids.reduce((n, id) => n + this.#releaseOne.run(id).changes, 0),
    )();
  }

  /** Marks a record the centre holds; false when it was not waiting (a duplicate ack). */
  acknowledge(id: string, at: Date): boolean {
    return this.#db.transaction(() => {
      const changed = this.#acknowledgeOne.run(at.toISOString(), id).changes;
      // Sent before its copy here was damaged: the centre's copy is what counts.
      if (changed > 0) this.#unquarantine.run(id);
      return changed > 0;
    })();
  }

  /**
   * Empties acknowledged payloads (secure_delete zeroes the freed pages) and prunes
   * tombstones no live record needs as its predecessor; returns the rows scrubbed.
   */
  scrubAcknowledged(): number {
    return this.#db.transaction(() => {
      const changes = this.#scrub.run().changes;
      this.#pruneTombstones.run();
      return changes;
    })();
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
