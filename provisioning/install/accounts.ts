import { readFileSync } from "node:fs";
import { join } from "node:path";

export const SERVICE_USER = "basma";
export const SERVICE_GROUP = "basma";
export const SERVICE_HOME = "/var/lib/basma";

/** A name's numeric id in a passwd(5) or group(5) file under `root`; undefined when absent. */
function idIn(root: string, file: "passwd" | "group", name: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(join(root, "etc", file), "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const fields = line.split(":");
    if (fields[0] === name && fields[2] !== undefined && /^\d+$/.test(fields[2]))
      return Number(fields[2]);
  }
  return undefined;
}

export const userId = (root: string, name: string): number | undefined =>
  idIn(root, "passwd", name);
export const groupId = (root: string, name: string): number | undefined =>
  idIn(root, "group", name);

/** shadow's tools edit the files under a prefix without chrooting (--prefix). */
const prefixArgs = (root: string): string[] => (root === "/" ? [] : ["--prefix", root]);

export function groupaddArgs(root: string): string[] {
  return [...prefixArgs(root), "--system", SERVICE_GROUP];
}

/** A system account that cannot log in, at home in the agent's state folder. */
export function useraddArgs(root: string): string[] {
  return [
    ...prefixArgs(root),
    "--system",
    "--gid",
    SERVICE_GROUP,
    "--home-dir",
    SERVICE_HOME,
    "--no-create-home",
    "--shell",
    "/usr/sbin/nologin",
    "--comment",
    "Basma terminal agent",
    SERVICE_USER,
  ];
}
