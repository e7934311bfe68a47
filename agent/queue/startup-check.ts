import { existsSync, renameSync } from "node:fs";
import Database from "better-sqlite3";

export interface DamagedQueue {
  /** Where the damaged database now lives, for `basma-agent queue recover`. */
  readonly movedTo: string;
  /** What quick_check (or opening) reported. */
  readonly problem: string;
}

/** quick_check's verdict on an existing file; "ok" or what is wrong. */
function checkFile(path: string): string {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true });
    const rows = db.pragma("quick_check") as { quick_check: string }[];
    const problems = rows.map((row) => row.quick_check).filter((line) => line !== "ok");
    return problems.length === 0 ? "ok" : problems.slice(0, 3).join("; ");
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    db?.close();
  }
}

/**
 * Runs quick_check on the queue file before the outbox uses it. A damaged file is
 * moved aside with its WAL and shared-memory files (timestamped, never deleted), so
 * the agent can go on capturing into a fresh queue while the old one waits for recovery.
 */
export function setAsideIfDamaged(path: string, now = new Date()): DamagedQueue | undefined {
  if (path === ":memory:" || !existsSync(path)) return undefined;
  const problem = checkFile(path);
  if (problem === "ok") return undefined;
  const movedTo = `${path}.damaged-${now.toISOString().replace(/[:.]/g, "-")}`;
  for (const suffix of ["", "-wal", "-shm"]) {
    if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
  }
  return { movedTo, problem };
}
