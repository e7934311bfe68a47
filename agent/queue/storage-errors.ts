import { accessSync, constants } from "node:fs";
import { QueueFullError } from "./storage-limits.js";

/** Why the queue's file system refused a write. */
export type StorageProblem = "disk-full" | "read-only" | "io-error";

/**
 * The file system refused a write (disk full, remounted read-only, an I/O error). The
 * transaction rolled back, so nothing was stored and nothing earlier was touched. It is
 * a QueueFullError: the capture loop holds the record, pauses captures and retries.
 */
export class QueueStorageError extends QueueFullError {
  override readonly name = "QueueStorageError";
  readonly problem: StorageProblem;
  /** The SQLite result code or errno that reported it, e.g. SQLITE_FULL or ENOSPC. */
  readonly code: string;
  constructor(problem: StorageProblem, code: string, doing: string) {
    const reason = `${describeProblem(problem)} (${code}) while ${doing}; nothing was stored`;
    super([reason]);
    this.message = `the record queue cannot take records: ${reason}`;
    this.problem = problem;
    this.code = code;
  }
}

export function describeProblem(problem: StorageProblem): string {
  switch (problem) {
    case "disk-full":
      return "the disk is full";
    case "read-only":
      return "the queue's file system is read-only";
    case "io-error":
      return "the disk reported an I/O error";
  }
}

/**
 * The storage problem behind an error from better-sqlite3 (SQLITE_FULL, SQLITE_READONLY*,
 * SQLITE_IOERR*) or from Node's file system calls (ENOSPC, EDQUOT, EROFS, EIO), or
 * undefined for anything else.
 */
export function storageProblemOf(
  error: unknown,
): { problem: StorageProblem; code: string } | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return undefined;
  if (code === "SQLITE_FULL" || code === "ENOSPC" || code === "EDQUOT")
    return { problem: "disk-full", code };
  if (code.startsWith("SQLITE_READONLY") || code === "EROFS") return { problem: "read-only", code };
  // SQLite reports some disk-full writes as an I/O error; its message keeps the errno.
  if (code.startsWith("SQLITE_IOERR") || code === "EIO")
    return /no space|ENOSPC|disk is full/i.test((error as Error).message)
      ? { problem: "disk-full", code }
      : { problem: "io-error", code };
  return undefined;
}

/**
 * A storage problem as QueueStorageError; anything else unchanged. SQLite says only
 * SQLITE_CANTOPEN when it cannot create a file, so with `directory` a read-only file
 * system is told apart from other reasons by asking for write access there.
 */
export function asStorageError(error: unknown, doing: string, directory?: string): unknown {
  const found = storageProblemOf(error) ?? readOnlyDirectory(error, directory);
  return found === undefined ? error : new QueueStorageError(found.problem, found.code, doing);
}

function readOnlyDirectory(
  error: unknown,
  directory: string | undefined,
): { problem: StorageProblem; code: string } | undefined {
  if (directory === undefined || (error as { code?: unknown } | null)?.code !== "SQLITE_CANTOPEN")
    return undefined;
  try {
    accessSync(directory, constants.W_OK);
    return undefined;
  } catch (probe) {
    return (probe as NodeJS.ErrnoException).code === "EROFS"
      ? { problem: "read-only", code: "EROFS" }
      : undefined;
  }
}
