import { existsSync, renameSync } from "node:fs";
import Database from "better-sqlite3";

export interface DamagedQueue {
  /** Where the damaged database now lives, for `basma-agent queue recover`. */
  readonly movedTo: string;
  /** What the check (or opening) reported. */
  readonly problem: string;
  /** The damaged file's chain head, when it could still be read: the new chain follows it. */
  readonly head?: ChainHead | undefined;
}

export interface ChainHead {
  readonly seq: number;
  readonly link: Buffer;
  readonly epoch: Buffer | null;
}

/** Everything but `records`: small tables, checked whole. */
const SMALL_TABLES = ["schema_migrations", "counters", "chain_head", "queue_keys", "quarantine"];

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

function problemsOf(rows: unknown[]): string[] {
  return rows
    .map((row) => String(Object.values(row as Record<string, unknown>)[0]))
    .filter((line) => line !== "ok");
}

/**
 * A start-up check whose cost does not grow with the queue: the schema, a full
 * quick_check of every small table, a walk of the records' indexes (a few dozen bytes a
 * record, never the payloads) and the newest row, which must be the chain head. A
 * damaged payload page deeper in the file is met when that record is leased, and
 * quarantined there; `basma-agent queue stats --deep` checks every page.
 */
function checkFile(path: string): string {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true });
    const tables = new Set(
      db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .all()
        .map((row) => row.name),
    );
    const problems: string[] = [];
    for (const table of SMALL_TABLES.filter((name) => tables.has(name)))
      problems.push(...problemsOf(db.pragma(`quick_check("${table}")`) as unknown[]));
    if (tables.has("records")) {
      const indexes = db
        .prepare<[], { name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records'",
        )
        .all();
      // A bare count(*) would pick whichever index is smallest; a condition on each
      // index's first column makes SQLite walk that very index.
      const counts = indexes.map(({ name }) => {
        const quoted = `"${name.replaceAll('"', '""')}"`;
        const first = db
          ?.prepare<[string], { name: string }>(
            "SELECT name FROM pragma_index_info(?) ORDER BY seqno LIMIT 1",
          )
          .get(name)?.name;
        if (first === undefined) return undefined;
        return db
          ?.prepare<[], { n: number }>(
            `SELECT count(*) AS n FROM records INDEXED BY ${quoted} WHERE "${first.replaceAll('"', '""')}" IS NOT NULL`,
          )
          .get()?.n;
      });
      if (new Set(counts).size > 1)
        problems.push(`the records indexes disagree on the row count (${counts.join(", ")})`);
      if (tables.has("chain_head")) {
        const head = db
          .prepare<[], { seq: number; link: Buffer }>(
            "SELECT seq, link FROM chain_head WHERE id = 1",
          )
          .get();
        const newest = db
          .prepare<[], { seq: number; link: Buffer | null }>(
            "SELECT seq, link FROM records ORDER BY seq DESC LIMIT 1",
          )
          .get();
        if (head === undefined) problems.push("the chain head is missing");
        else if (
          newest !== undefined &&
          newest.seq === head.seq &&
          newest.link !== null &&
          !newest.link.equals(head.link)
        )
          problems.push(`the newest record (seq ${newest.seq}) is not the chain head`);
      }
    }
    return problems.length === 0 ? "ok" : problems.slice(0, 3).join("; ");
  } catch (error) {
    return describe(error);
  } finally {
    db?.close();
  }
}

/** The chain head of a damaged file, if it can still be read without writing to it. */
function readHead(path: string): ChainHead | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const columns = new Set(
      db
        .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('chain_head')")
        .all()
        .map((row) => row.name),
    );
    const row = db
      .prepare<[], { seq: number; link: Buffer; epoch: Buffer | null }>(
        `SELECT seq, link, ${columns.has("epoch") ? "epoch" : "NULL AS epoch"} FROM chain_head WHERE id = 1`,
      )
      .get();
    if (row === undefined || !Buffer.isBuffer(row.link) || row.link.length !== 32) return undefined;
    return { seq: row.seq, link: row.link, epoch: Buffer.isBuffer(row.epoch) ? row.epoch : null };
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

/**
 * Checks the queue file before the outbox uses it. A damaged file is moved aside with
 * its WAL and shared-memory files (timestamped, never deleted), so the agent can go on
 * capturing into a fresh queue while the old one waits for recovery.
 */
export function setAsideIfDamaged(path: string, now = new Date()): DamagedQueue | undefined {
  if (path === ":memory:" || !existsSync(path)) return undefined;
  const problem = checkFile(path);
  if (problem === "ok") return undefined;
  const movedTo = `${path}.damaged-${now.toISOString().replace(/[:.]/g, "-")}`;
  for (const suffix of ["", "-wal", "-shm"]) {
    if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
  }
  return { movedTo, problem, head: readHead(movedTo) };
}
