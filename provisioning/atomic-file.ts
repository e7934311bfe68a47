import { randomBytes } from "node:crypto";
import { chown, mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join, basename } from "node:path";
import type { FileOwner } from "./file-owner.js";

export interface WriteOptions {
  /** Permission bits of the new file (umask does not apply). */
  readonly mode: number;
  readonly owner?: FileOwner | undefined;
  /** Mode of the folders created on the way. */
  readonly dirMode?: number;
}

/**
 * Replace `path` with `contents` so a reader (or a power cut) sees either the old file or
 * the whole new one: written beside it, fsynced, given its mode and owner, renamed over,
 * and the folder fsynced so the rename itself survives.
 */
export async function writeFileAtomic(
  path: string,
  contents: string | Uint8Array,
  options: WriteOptions,
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: options.dirMode ?? 0o755 });
  const temporary = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temporary, "wx", options.mode);
  try {
    await handle.writeFile(contents);
    await handle.chmod(options.mode);
    if (options.owner !== undefined) await handle.chown(options.owner.uid, options.owner.gid);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, path);
  const folder = await open(dir, "r");
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** Create a folder (and its parents) with a mode, and give the leaf to `owner`. */
export async function ensureDir(path: string, mode: number, owner?: FileOwner): Promise<void> {
  await mkdir(path, { recursive: true, mode });
  if (owner !== undefined) await chown(path, owner.uid, owner.gid);
}
