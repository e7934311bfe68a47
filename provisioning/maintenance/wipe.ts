import { open, readdir, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Overwrites a file with zeros, flushes, then unlinks it. On flash and journalling file
 * systems the old blocks may survive the overwrite; what makes the data unreadable is
 * that the keys go too (the queue is encrypted under the device key).
 * Returns false when there was no file.
 */
export async function shredFile(path: string): Promise<boolean> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  const handle = await open(path, "r+");
  try {
    const zeros = Buffer.alloc(Math.min(size, 1 << 20));
    for (let offset = 0; offset < size; offset += zeros.length) {
      await handle.write(zeros, 0, Math.min(zeros.length, size - offset), offset);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rm(path, { force: true });
  return true;
}

/** The queue file, its WAL and shared-memory files, and any damaged copies set aside. */
export async function queueFamily(queuePath: string): Promise<string[]> {
  const name = basename(queuePath);
  let entries: string[];
  try {
    entries = await readdir(dirname(queuePath));
  } catch {
    return [];
  }
  return entries
    .filter(
      (entry) =>
        entry === name ||
        entry === `${name}-wal` ||
        entry === `${name}-shm` ||
        entry.startsWith(`${name}.damaged-`),
    )
    .map((entry) => join(dirname(queuePath), entry));
}
