import { existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

/**
 * Every command this terminal has acted upon, kept until it could no longer be valid
 * anyway, in a small SQLite file of its own (not the record queue). It is written
 * (synchronous=FULL) before a command acts, so neither a restart nor a crash between
 * accepting and acting reopens the window for a replay: a command runs at most once.
 *
 * The file also remembers when it was created. A command issued before that moment
 * is refused, so even a lost or deleted store never lets an old command back in.
 */
export class ReplayStore {
  readonly #db: Database.Database;
  readonly #remember: Database.Statement<[string, string, string, number, number]>;
  readonly #purge: Database.Statement<[number]>;
  readonly #count: Database.Statement<[], { n: number }>;
  readonly createdAt: Date;

  private constructor(db: Database.Database, now: Date) {
    this.#db = db;
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec(`
      CREATE TABLE IF NOT EXISTS store_meta (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        created_at  INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS seen_commands (
        command_id  TEXT PRIMARY KEY,
        nonce       TEXT NOT NULL UNIQUE,
        kind        TEXT NOT NULL,
        seen_at     INTEGER NOT NULL,
        keep_until  INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS seen_commands_keep_until ON seen_commands (keep_until);
    `);
    db.prepare("INSERT OR IGNORE INTO store_meta (id, created_at) VALUES (1, ?)").run(
      now.getTime(),
    );
    const meta = db
      .prepare<[], { created_at: number }>("SELECT created_at FROM store_meta WHERE id = 1")
      .get();
    this.createdAt = new Date(meta?.created_at ?? now.getTime());
    // Either unique key already present (the id, or the nonce under another id) is a replay.
    this.#remember = db.prepare(
      `INSERT INTO seen_commands (command_id, nonce, kind, seen_at, keep_until)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    this.#purge = db.prepare("DELETE FROM seen_commands WHERE keep_until < ?");
    this.#count = db.prepare("SELECT count(*) AS n FROM seen_commands");
  }

  /**
   * Opens (or creates) the store. A damaged file is moved aside (`onDamaged` hears where)
   * and a fresh store started: commands then count from its creation, so nothing older
   * than the fresh file is accepted and no window reopens.
   */
  static open(
    path: string,
    options: { now?: Date; onDamaged?: (movedTo: string, problem: string) => void } = {},
  ): ReplayStore {
    const now = options.now ?? new Date();
    if (path === ":memory:") return new ReplayStore(new Database(path), now);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      return ReplayStore.#openFile(path, now);
    } catch (error) {
      if (!existsSync(path)) throw error;
      const movedTo = `${path}.damaged-${now.toISOString().replace(/[:.]/g, "-")}`;
      renameSync(path, movedTo);
      for (const suffix of ["-wal", "-shm"])
        if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
      options.onDamaged?.(movedTo, error instanceof Error ? error.message : String(error));
      return ReplayStore.#openFile(path, now);
    }
  }

  static #openFile(path: string, now: Date): ReplayStore {
    const db = new Database(path);
    try {
      return new ReplayStore(db, now);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Records a command as seen; false when its id or its nonce was seen before (a
   * replay). Entries past their keep-until time are dropped on the way.
   */
  remember(
    entry: { commandId: string; nonce: string; kind: string; keepUntil: Date },
    now: Date = new Date(),
  ): boolean {
    return this.#db.transaction(() => {
      this.#purge.run(now.getTime());
      const { changes } = this.#remember.run(
        entry.commandId,
        entry.nonce,
        entry.kind,
        now.getTime(),
        entry.keepUntil.getTime(),
      );
      return changes === 1;
    })();
  }

  /** How many commands are remembered (for diagnostics and tests). */
  size(): number {
    return this.#count.get()?.n ?? 0;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
