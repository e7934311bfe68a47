import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import Database from "better-sqlite3";
import { decodeCaptureRecord } from "../records/record-codec.js";
import type { DeviceKeys } from "./device-keys.js";
import type { Outbox } from "./outbox.js";
import { openPayload, unwrapDataKey } from "./payload-cipher.js";
import { payloadDigest } from "./record-chain.js";

/** A record of the damaged file that could not be carried over, and why. */
export interface LostRecord {
  readonly seq: number | null;
  readonly id: string | null;
  readonly problem: string;
}

export interface SalvageReport {
  readonly source: string;
  /** Rows located in the damaged file, by table scan, index scans and point probes. */
  readonly located: number;
  /** Copied into the current queue under their own ids, as pending. */
  readonly salvaged: number;
  /** Readable, but their id is already in the current queue (an earlier recover, or never lost). */
  readonly alreadyPresent: number;
  /** Acknowledged by the centre (or scrubbed tombstones): nothing to deliver. */
  readonly acknowledged: number;
  /** Located but unreadable: damaged pages, failed authentication, or not a capture record. */
  readonly unreadable: number;
  readonly lost: readonly LostRecord[];
  /** Seqs between the oldest row found and the damaged file's chain head that were not found at all. */
  readonly missingSeqs: readonly string[];
  /** The damaged file's chain head seq, when readable. */
  readonly headSeq: number | null;
  /** Damage met while looking for rows (not each a record). */
  readonly notes: readonly string[];
}

export class SalvageError extends Error {
  override readonly name = "SalvageError";
}

const MAX_LOST_LISTED = 50;
const MAX_PROBE_ROWID = 10_000_000;

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

interface Located {
  rowid: number;
  id: string | null;
  seq: number | null;
  state: string | null;
}

/**
 * Opens the damaged file without writing to it. A read-only open of a file with a
 * WAL can need a shared-memory file SQLite may not create; then a private copy is read.
 */
function openDamaged(path: string): { db: Database.Database; cleanup: () => void } {
  if (!existsSync(path)) throw new SalvageError(`${path} does not exist`);
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    db.prepare("SELECT count(*) FROM sqlite_master").get();
    return { db, cleanup: () => db.close() };
  } catch (error) {
    const dir = mkdtempSync(join(tmpdir(), "basma-salvage-"));
    const copy = join(dir, basename(path));
    for (const suffix of ["", "-wal"])
      if (existsSync(path + suffix)) copyFileSync(path + suffix, copy + suffix);
    try {
      const db = new Database(copy, { readonly: true, fileMustExist: true });
      db.prepare("SELECT count(*) FROM sqlite_master").get();
      return {
        db,
        cleanup: () => {
          db.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch {
      rmSync(dir, { recursive: true, force: true });
      throw new SalvageError(
        `${path} cannot be opened as a database, not even its schema (${describe(error)}): nothing can be salvaged from it`,
      );
    }
  }
}

/**
 * Every rowid of `records` that any route can still reach: a table scan (which stops
 * at the first damaged page), a scan of each index (separate b-trees, often intact
 * when table pages are not), then point look-ups of every rowid up to the largest seen,
 * each of which descends from the root and so can pass around a damaged leaf.
 */
function locateRowids(db: Database.Database, notes: string[]): Set<number> {
  const found = new Set<number>();
  const scan = (sql: string, what: string): void => {
    try {
      for (const row of db.prepare<[], { r: number }>(sql).iterate()) found.add(row.r);
    } catch (error) {
      notes.push(`${what} stopped early: ${describe(error)}`);
    }
  };
  scan("SELECT rowid AS r FROM records ORDER BY rowid", "table scan");
  let indexes: string[] = [];
  try {
    indexes = db
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records'",
      )
      .all()
      .map((row) => row.name);
  } catch (error) {
    notes.push(`index list unreadable: ${describe(error)}`);
  }
  for (const name of indexes)
    scan(`SELECT rowid AS r FROM records INDEXED BY "${name.replaceAll('"', '""')}"`, name);
  let upper = 0;
  for (const rowid of found) upper = Math.max(upper, rowid);
  try {
    const max = db.prepare<[], { r: number | null }>("SELECT max(rowid) AS r FROM records").get();
    upper = Math.max(upper, max?.r ?? 0);
  } catch (error) {
    notes.push(`largest rowid unreadable: ${describe(error)}`);
  }
  // Past the largest rowid seen, a little slack for rows only a damaged page knew.
  upper = Math.min(MAX_PROBE_ROWID, upper + 64);
  const probe = db.prepare<[number], { r: number }>(
    "SELECT rowid AS r FROM records WHERE rowid = ?",
  );
  let failedProbes = 0;
  for (let rowid = 1; rowid <= upper; rowid++) {
    if (found.has(rowid)) continue;
    try {
      if (probe.get(rowid) !== undefined) found.add(rowid);
    } catch {
      failedProbes++;
    }
  }
  if (failedProbes > 0) notes.push(`${failedProbes} rowid look-ups ran into damaged pages`);
  return found;
}

function locate(db: Database.Database, rowid: number): Located {
  try {
    const row = db
      .prepare<[number], { id: string; seq: number; state: string }>(
        "SELECT id, seq, state FROM records WHERE rowid = ?",
      )
      .get(rowid);
    return row === undefined
      ? { rowid, id: null, seq: null, state: null }
      : { rowid, id: row.id, seq: row.seq, state: row.state };
  } catch {
    return { rowid, id: null, seq: null, state: null };
  }
}

/**
 * The damaged file's wrapped payload key for a seq: null for files and rows from before
 * record keys (sealed under the data key). Throws when the key's page is damaged.
 */
function payloadKeyReader(db: Database.Database): (seq: number) => Buffer | null {
  let hasTable = false;
  try {
    hasTable =
      db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'payload_keys'")
        .get() !== undefined;
  } catch {
    // A damaged schema page: every row is then read as sealed under the data key, and
    // those that are not fail authentication and are listed as lost.
  }
  if (!hasTable) return () => null;
  const read = db.prepare<[number], { wrapped_key: Buffer }>(
    "SELECT wrapped_key FROM payload_keys WHERE seq = ?",
  );
  return (seq) => read.get(seq)?.wrapped_key ?? null;
}

function seqRanges(seqs: readonly number[]): string[] {
  const ranges: string[] = [];
  let start: number | undefined;
  let previous: number | undefined;
  for (const seq of seqs) {
    if (start !== undefined && previous !== undefined && seq === previous + 1) {
      previous = seq;
      continue;
    }
    if (start !== undefined && previous !== undefined)
      ranges.push(start === previous ? `${start}` : `${start}-${previous}`);
    start = seq;
    previous = seq;
  }
  if (start !== undefined && previous !== undefined)
    ranges.push(start === previous ? `${start}` : `${start}-${previous}`);
  return ranges;
}

/**
 * Copies every readable record not yet acknowledged from a damaged queue file (one the
 * start-up check moved aside) into `into`, oldest first, under its own id and as
 * pending, re-sealed under the current queue's data key and chained at its end. The
 * damaged file is only read. Each row is read, opened and validated on its own, so one
 * damaged page costs only the records on it.
 */
export function salvageQueue(
  from: string,
  into: Outbox,
  device: DeviceKeys,
  onProgress?: (done: number, total: number) => void,
): SalvageReport {
  const { db, cleanup } = openDamaged(from);
  try {
    const notes: string[] = [];
    let dataKey: Buffer | undefined;
    let keyProblem = "";
    try {
      const row = db
        .prepare<[], { wrapped_data_key: Buffer }>(
          "SELECT wrapped_data_key FROM queue_keys WHERE id = 1",
        )
        .get();
      if (row === undefined) keyProblem = "the damaged file holds no data key";
      else dataKey = unwrapDataKey(device.wrappingKey, row.wrapped_data_key);
    } catch (error) {
      keyProblem = /authentication/.test(describe(error))
        ? "the device key does not open the damaged file's data key (another device's queue?)"
        : `the damaged file's data key is unreadable (${describe(error)})`;
    }
    if (keyProblem !== "") notes.push(`${keyProblem}: sealed payloads cannot be opened`);
    let headSeq: number | null = null;
    try {
      headSeq =
        db.prepare<[], { seq: number }>("SELECT seq FROM chain_head WHERE id = 1").get()?.seq ??
        null;
    } catch (error) {
      notes.push(`chain head unreadable: ${describe(error)}`);
    }

    const located = [...locateRowids(db, notes)].map((rowid) => locate(db, rowid));
    // Oldest first, so the salvaged records keep their order in the new chain.
    located.sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity) || a.rowid - b.rowid);
    const lost: LostRecord[] = [];
    let unreadable = 0;
    const loseOne = (row: Located, problem: string): void => {
      unreadable++;
      if (lost.length < MAX_LOST_LISTED) lost.push({ seq: row.seq, id: row.id, problem });
    };
    let salvaged = 0;
    let alreadyPresent = 0;
    let acknowledged = 0;
    const full = db.prepare<
      [number],
      { payload: Buffer; nonce: Buffer | null; payload_digest: Buffer | null; created_at: string }
    >("SELECT payload, nonce, payload_digest, created_at FROM records WHERE rowid = ?");
    const wrappedKeyOf = payloadKeyReader(db);
    let done = 0;
    for (const row of located) {
      onProgress?.(done++, located.length);
      if (row.id === null || row.seq === null) {
        loseOne(row, "row header on a damaged page");
        continue;
      }
      if (row.state === "acknowledged" || row.state === "deleted") {
        acknowledged++;
        continue;
      }
      if (into.has(row.id)) {
        alreadyPresent++;
        continue;
      }
      let stored;
      try {
        stored = full.get(row.rowid);
      } catch (error) {
        loseOne(row, `payload on a damaged page (${describe(error)})`);
        continue;
      }
      if (stored === undefined) {
        loseOne(row, "row vanished while reading");
        continue;
      }
      let payload: Buffer;
      if (stored.nonce === null) {
        // Written by schema version 1, before payloads were sealed.
        payload = stored.payload;
      } else if (dataKey === undefined) {
        loseOne(row, keyProblem);
        continue;
      } else {
        let wrappedKey;
        try {
          wrappedKey = wrappedKeyOf(row.seq);
        } catch (error) {
          loseOne(row, `payload key on a damaged page (${describe(error)})`);
          continue;
        }
        try {
          payload = openPayload(dataKey, row.id, {
            nonce: stored.nonce,
            ciphertext: stored.payload,
            wrappedKey,
          });
        } catch {
          loseOne(row, "payload fails authentication (damaged bytes)");
          continue;
        }
      }
      if (stored.payload_digest !== null && !payloadDigest(payload).equals(stored.payload_digest)) {
        loseOne(row, "payload does not match its chain digest");
        continue;
      }
      try {
        decodeCaptureRecord(payload);
      } catch (error) {
        loseOne(row, `not a valid capture record (${describe(error)})`);
        continue;
      }
      if (into.restore(row.id, stored.created_at, payload) === undefined) alreadyPresent++;
      else salvaged++;
    }
    onProgress?.(located.length, located.length);

    const seen = located.flatMap((row) => (row.seq === null ? [] : [row.seq]));
    const missing: number[] = [];
    if (seen.length > 0) {
      const have = new Set(seen);
      const last = seen.reduce((a, b) => Math.max(a, b), headSeq ?? 0);
      const first = seen.reduce((a, b) => Math.min(a, b), Infinity);
      for (let seq = first; seq <= last && missing.length < 100_000; seq++)
        if (!have.has(seq)) missing.push(seq);
    } else if (headSeq !== null && headSeq > 0) {
      notes.push(`no rows found at all; the damaged file's chain head was seq ${headSeq}`);
    }
    return {
      source: from,
      located: located.length,
      salvaged,
      alreadyPresent,
      acknowledged,
      unreadable,
      lost,
      missingSeqs: seqRanges(missing),
      headSeq,
      notes,
    };
  } finally {
    cleanup();
  }
}
