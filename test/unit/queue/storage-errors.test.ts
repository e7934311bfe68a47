import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import {
  asStorageError,
  QueueStorageError,
  storageProblemOf,
} from "../../../agent/queue/storage-errors.js";
import { QueueFullError } from "../../../agent/queue/storage-limits.js";
import { freshQueuePath, outboxTracker } from "../../support/queue-files.js";

/** The error better-sqlite3 really throws for a write on a read-only connection. */
function realReadOnlyError(): unknown {
  const path = freshQueuePath();
  outboxTracker().open(path).close();
  const db = new Database(path, { readonly: true });
  try {
    db.prepare("UPDATE counters SET value = value").run();
  } catch (error) {
    return error;
  } finally {
    db.close();
  }
  throw new Error("the write went through");
}

describe("storage errors", () => {
  it("tells disk-full, read-only and I/O errors apart, from SQLite and from the file system", () => {
    const sqlite = (code: string, message = "disk I/O error") =>
      new Database.SqliteError(message, code);
    expect(storageProblemOf(realReadOnlyError())).toEqual({
      problem: "read-only",
      code: "SQLITE_READONLY",
    });
    expect(storageProblemOf(sqlite("SQLITE_FULL", "database or disk is full"))).toEqual({
      problem: "disk-full",
      code: "SQLITE_FULL",
    });
    expect(storageProblemOf(sqlite("SQLITE_IOERR_WRITE"))?.problem).toBe("io-error");
    expect(storageProblemOf(sqlite("SQLITE_IOERR_FSYNC"))?.problem).toBe("io-error");
    expect(storageProblemOf(sqlite("SQLITE_READONLY_DBMOVED"))?.problem).toBe("read-only");
    const errno = (code: string) => Object.assign(new Error(code), { code });
    expect(storageProblemOf(errno("ENOSPC"))?.problem).toBe("disk-full");
    expect(storageProblemOf(errno("EDQUOT"))?.problem).toBe("disk-full");
    expect(storageProblemOf(errno("EROFS"))?.problem).toBe("read-only");
    expect(storageProblemOf(errno("EIO"))?.problem).toBe("io-error");
    expect(storageProblemOf(sqlite("SQLITE_CONSTRAINT_UNIQUE"))).toBeUndefined();
    expect(storageProblemOf(new Error("no code"))).toBeUndefined();
  });

  it("wraps storage problems as a QueueFullError the capture loop holds records for, and nothing else", () => {
    const wrapped = asStorageError(
      new Database.SqliteError("disk I/O error", "SQLITE_IOERR_WRITE"),
      "storing record r1",
    );
    expect(wrapped).toBeInstanceOf(QueueStorageError);
    expect(wrapped).toBeInstanceOf(QueueFullError);
    expect((wrapped as Error).message).toBe(
      "the record queue cannot take records: the disk reported an I/O error (SQLITE_IOERR_WRITE) while storing record r1; nothing was stored",
    );
    const other = new Database.SqliteError("UNIQUE constraint failed", "SQLITE_CONSTRAINT_UNIQUE");
    expect(asStorageError(other, "storing")).toBe(other);
  });
});
