import { readFileSync } from "node:fs";

/** The numeric owner files are handed to; undefined leaves them with whoever runs the tool. */
export interface FileOwner {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export const DEFAULT_SERVICE_USER = "basma";

/** A user's uid and primary gid from a passwd(5) file; undefined when it has no such user. */
export function lookUpUser(name: string, passwdFile = "/etc/passwd"): FileOwner | undefined {
  let text: string;
  try {
    text = readFileSync(passwdFile, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && uid !== undefined && gid !== undefined) {
      return { name, uid: Number(uid), gid: Number(gid) };
    }
  }
  return undefined;
}

/**
 * Who should own the device's files: the service user when the tool runs as root (a
 * user named explicitly must exist). Not root: files stay the caller's, as only root
 * can give them away.
 */
export function serviceOwner(
  requested: string | undefined,
  warn: (text: string) => void,
): FileOwner | undefined {
  const name = requested ?? DEFAULT_SERVICE_USER;
  if (process.getuid?.() !== 0) return undefined;
  const owner = lookUpUser(name);
  if (owner !== undefined) return owner;
  if (requested !== undefined) throw new Error(`no user named "${name}" (--user)`);
  warn(
    `note: no "${DEFAULT_SERVICE_USER}" user yet ('basma-provision install' creates it); files stay owned by root\n`,
  );
  return undefined;
}
