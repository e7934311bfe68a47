import { chmod, chown, mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { groupId, userId } from "./accounts.js";

/** One `d` line of a tmpfiles.d(5) file: the folder, its mode and owner. */
export interface DirectorySpec {
  readonly path: string;
  readonly mode: number;
  readonly user: string;
  readonly group: string;
}

/**
 * The folders of systemd/basma.conf, so the installer creates exactly what
 * systemd-tmpfiles keeps at every boot. Only `d` lines are expected there.
 */
export function parseTmpfilesDirectories(text: string): DirectorySpec[] {
  const specs: DirectorySpec[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [type, path, mode, user, group] = line.split(/\s+/);
    if (
      type !== "d" ||
      path?.startsWith("/") !== true ||
      mode === undefined ||
      !/^0[0-7]{3}$/.test(mode) ||
      user === undefined ||
      group === undefined
    )
      throw new Error(
        `tmpfiles line ${index + 1}: expected "d PATH MODE USER GROUP", got "${line}"`,
      );
    specs.push({ path, mode: Number.parseInt(mode, 8), user, group });
  }
  return specs;
}

export type DirectoryState = "missing" | "wrong-mode-or-owner" | "ok";

export async function directoryState(root: string, spec: DirectorySpec): Promise<DirectoryState> {
  let info;
  try {
    info = await stat(join(root, spec.path));
  } catch {
    return "missing";
  }
  const uid = userId(root, spec.user);
  const gid = groupId(root, spec.group);
  const ok =
    info.isDirectory() &&
    (info.mode & 0o7777) === spec.mode &&
    info.uid === uid &&
    info.gid === gid;
  return ok ? "ok" : "wrong-mode-or-owner";
}

/** Creates the folder (parents 0755) and sets its mode and owner; the accounts must exist. */
export async function applyDirectory(root: string, spec: DirectorySpec): Promise<void> {
  const uid = userId(root, spec.user);
  const gid = groupId(root, spec.group);
  if (uid === undefined || gid === undefined)
    throw new Error(`${spec.path}: no user "${spec.user}" or group "${spec.group}" under ${root}`);
  const path = join(root, spec.path);
  await mkdir(path, { recursive: true, mode: 0o755 });
  await chown(path, uid, gid);
  await chmod(path, spec.mode);
}

export const describeDirectory = (spec: DirectorySpec): string =>
  `${spec.path} (${spec.mode.toString(8).padStart(4, "0")} ${spec.user}:${spec.group})`;
