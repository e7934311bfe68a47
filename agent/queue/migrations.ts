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
