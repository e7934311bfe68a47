import type { Database } from "better-sqlite3";

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/**
 * Append-only: a shipped migration is never edited, because terminals in the field
 * have already run it. A later change adds the next version.
 */
export const OUTBOX_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "records outbox and the per-device sequence",
    sql: `
      CREATE TABLE records (
        id            TEXT PRIMARY KEY,
        seq           INTEGER NOT NULL UNIQUE,
        created_at    TEXT NOT NULL,
        payload       BLOB NOT NULL,
        payload_bytes INTEGER NOT NULL
      ) STRICT;
      -- The sequence lives apart from the rows: deleting acknowledged records must
      -- never let a number be issued twice.
      CREATE TABLE counters (
        name  TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) STRICT;
      INSERT INTO counters (name, value) VALUES ('record_seq', 0);
    `,
  },
  {
    version: 2,
    description: "sealed payloads, hash chain, delivery states and leases, device keys",
    // Rows written by version 1 hold plaintext; nonce IS NULL marks them for the
    // outbox to seal and chain right after this migration (SQL cannot encrypt).
    sql: `
      ALTER TABLE records ADD COLUMN state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'in-flight', 'acknowledged', 'deleted'));
      ALTER TABLE records ADD COLUMN lease_until INTEGER;
      ALTER TABLE records ADD COLUMN acknowledged_at TEXT;
      ALTER TABLE records ADD COLUMN nonce BLOB;
      ALTER TABLE records ADD COLUMN payload_digest BLOB;
      ALTER TABLE records ADD COLUMN previous_link BLOB;
      ALTER TABLE records ADD COLUMN link BLOB;
      ALTER TABLE records ADD COLUMN signature BLOB;
      CREATE INDEX records_by_state ON records (state, seq, payload_bytes);
      -- One row: the queue's data key, only ever stored wrapped by the device key.
      CREATE TABLE queue_keys (
        id               INTEGER PRIMARY KEY CHECK (id = 1),
        wrapped_data_key BLOB NOT NULL,
        verifying_key    BLOB NOT NULL,
        created_at       TEXT NOT NULL
      ) STRICT;
      -- The newest link survives the deletion of every record it covers.
      CREATE TABLE chain_head (
        id   INTEGER PRIMARY KEY CHECK (id = 1),
        seq  INTEGER NOT NULL,
        link BLOB NOT NULL
      ) STRICT;
      INSERT INTO chain_head (id, seq, link) VALUES (1, 0, zeroblob(32));
    `,
  },
  {
    version: 3,
    description: "enqueue times, quarantined records, stored totals kept by triggers, chain epochs",
    sql: `
      -- Milliseconds since 1970. Rows from before this version stay NULL (filling them in
      -- would rewrite every payload) and count from their capture time instead.
      ALTER TABLE records ADD COLUMN enqueued_at INTEGER;
      -- Records whose payload no longer opens: kept, never sent, and out of the way.
      CREATE TABLE quarantine (
        seq            INTEGER PRIMARY KEY,
        id             TEXT UNIQUE,
        reason         TEXT NOT NULL,
        quarantined_at TEXT NOT NULL
      ) STRICT;
      -- What the storage limits count (every row not yet scrubbed), kept by triggers so
      -- that no check ever counts the table, whichever process writes.
      INSERT INTO counters (name, value)
        SELECT 'stored_records', count(*) FROM records WHERE state != 'deleted';
      INSERT INTO counters (name, value)
        SELECT 'stored_bytes', coalesce(sum(payload_bytes), 0) FROM records WHERE state != 'deleted';
      CREATE TRIGGER records_stored_insert AFTER INSERT ON records WHEN new.state != 'deleted'
      BEGIN
        UPDATE counters SET value = value + 1 WHERE name = 'stored_records';
        UPDATE counters SET value = value + new.payload_bytes WHERE name = 'stored_bytes';
      END;
      CREATE TRIGGER records_stored_delete AFTER DELETE ON records WHEN old.state != 'deleted'
      BEGIN
        UPDATE counters SET value = value - 1 WHERE name = 'stored_records';
        UPDATE counters SET value = value - old.payload_bytes WHERE name = 'stored_bytes';
      END;
      CREATE TRIGGER records_stored_update AFTER UPDATE OF state, payload_bytes ON records
      BEGIN
        UPDATE counters SET value = value - (old.state != 'deleted') + (new.state != 'deleted')
          WHERE name = 'stored_records';
        UPDATE counters SET value = value
            - iif(old.state != 'deleted', old.payload_bytes, 0)
            + iif(new.state != 'deleted', new.payload_bytes, 0)
          WHERE name = 'stored_bytes';
      END;
      -- A chain epoch: 16 random bytes bound into every link of a chain begun from now
      -- on. A queue that starts afresh (a damaged file set aside) begins a new epoch, so
      -- the centre tells a declared restart of seq 1 from records gone missing. A chain
      -- already under way keeps its links without one (epoch NULL).
      ALTER TABLE chain_head ADD COLUMN epoch BLOB;
      -- For a chain begun after a reset: the epoch and seq of the head it follows, as far
      -- as the damaged file could tell (its link is the first record's previous link).
      ALTER TABLE chain_head ADD COLUMN follows_epoch BLOB;
      ALTER TABLE chain_head ADD COLUMN follows_seq INTEGER;
      UPDATE chain_head SET epoch = randomblob(16)
        WHERE seq = 0 AND (SELECT value FROM counters WHERE name = 'record_seq') = 0;
    `,
  },
  {
    version: 4,
    description: "a key per record's payload, kept apart; leases leave the file",
    sql: `
      -- Each payload is sealed under a key of its own, stored here wrapped by the data
      -- key. Acknowledging a record deletes this small row, which secure_delete zeroes
      -- on its b-tree page, and the payload's many pages need not be overwritten too.
      -- Rows sealed before this version have no key here: they stay under the data key.
      CREATE TABLE payload_keys (
        seq         INTEGER PRIMARY KEY,
        wrapped_key BLOB NOT NULL
      ) STRICT;
      -- A lease changed the record's own row, and SQLite rewrites a changed row whole,
      -- payload pages and all. Leases now live in the connection's memory (the agent is
      -- the only sender, and after a restart every unacknowledged record may go again:
      -- the centre keeps the first copy of an id).
      UPDATE records SET state = 'pending', lease_until = NULL WHERE state = 'in-flight';
      -- Acknowledging now empties the row in the same statement; rows an older version
      -- acknowledged but had not yet emptied are emptied here, once (secure_delete is on
      -- while migrating, so their pages are overwritten).
      UPDATE records SET state = 'deleted', payload = X'', nonce = NULL
        WHERE state = 'acknowledged';
    `,
  },
];

export class MigrationError extends Error {
  override readonly name = "MigrationError";
}

/** Brings the database to the newest schema, one transaction per version. */
export function migrate(
  db: Database,
  migrations: readonly Migration[] = OUTBOX_MIGRATIONS,
): { from: number; to: number } {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL,
    description TEXT NOT NULL
  ) STRICT`);
  const row = db
    .prepare<[], { version: number | null }>(
      "SELECT max(version) AS version FROM schema_migrations",
    )
    .get();
  const from = row?.version ?? 0;
  const newest = migrations.at(-1)?.version ?? 0;
  if (from > newest) {
    throw new MigrationError(
      `database schema version ${from} is newer than this agent knows (${newest}); refusing to touch it`,
    );
  }
  const record = db.prepare(
    "INSERT INTO schema_migrations (version, applied_at, description) VALUES (?, ?, ?)",
  );
  for (const migration of migrations) {
    if (migration.version <= from) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, new Date().toISOString(), migration.description);
    })();
  }
  return { from, to: Math.max(from, newest) };
}
