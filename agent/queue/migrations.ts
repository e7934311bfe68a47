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
