import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";

export const UNIT_NAME = "basma-agent.service";
export const AGENT_CONFIG = "/etc/basma/agent.json";

/** A file the installer puts in place, with what it must contain. */
export interface SystemFile {
  readonly kind: "unit" | "udev-rules" | "tmpfiles";
  /** Where it goes on the terminal (under --root). */
  readonly target: string;
  readonly contents: string;
}

export interface AgentLocation {
  /** The node binary the service runs. */
  readonly nodePath: string;
  /** The folder holding Basma's package.json and dist/. */
  readonly appDir: string;
}

// Folders the unit's sandbox hides (ProtectHome=, PrivateTmp=): an agent installed
// there would not start.
const HIDDEN_FROM_THE_SERVICE = ["/home", "/root", "/run/user", "/tmp", "/var/tmp"];

/**
 * Why a path cannot go into ExecStart=, or undefined when it can: absolute, no
 * characters that unit files quote or expand (spaces, quotes, %, $, \), and visible
 * inside the sandbox.
 */
export function unitPathProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return `${path} is not an absolute path`;
  if (!/^[A-Za-z0-9._/+@-]+$/.test(path))
    return `${path} has characters a unit file would have to quote (use a plain path)`;
  const hidden = HIDDEN_FROM_THE_SERVICE.find((dir) => path === dir || path.startsWith(`${dir}/`));
  if (hidden !== undefined)
    return `${path} is under ${hidden}, which the service's sandbox hides (ProtectHome=, PrivateTmp=): install Basma and Node.js system-wide, e.g. /opt/basma and /usr/bin/node`;
  return undefined;
}

/** The packaged unit with ExecStart= and Documentation= pointing at this machine's install. */
export function renderUnit(template: string, location: AgentLocation): string {
  let execStartLines = 0;
  const lines = template.split("\n").map((line) => {
    if (line.startsWith("ExecStart=")) {
      execStartLines++;
      return `ExecStart=${location.nodePath} ${location.appDir}/dist/agent/cli.js --config ${AGENT_CONFIG}`;
    }
    if (line.startsWith("Documentation=")) return `Documentation=file:${location.appDir}/README.md`;
    return line;
  });
  if (execStartLines !== 1)
    throw new Error(`the packaged ${UNIT_NAME} has ${execStartLines} ExecStart= lines, expected 1`);
  return lines.join("\n");
}

/** Reads the packaged files from `sourceDir` (the package's systemd/ folder). */
export async function systemFiles(
  sourceDir: string,
  location: AgentLocation,
): Promise<SystemFile[]> {
  const read = (name: string): Promise<string> => readFile(join(sourceDir, name), "utf8");
  return [
    {
      kind: "unit",
      target: `/etc/systemd/system/${UNIT_NAME}`,
      contents: renderUnit(await read(UNIT_NAME), location),
    },
    {
      kind: "udev-rules",
      target: "/etc/udev/rules.d/70-basma.rules",
      contents: await read("70-basma.rules"),
    },
    { kind: "tmpfiles", target: "/etc/tmpfiles.d/basma.conf", contents: await read("basma.conf") },
  ];
}

export const SYSTEM_FILE_MODE = 0o644;

/** Whether the file under `root` is missing, different, or not root's 0644. */
export async function fileNeedsWrite(root: string, file: SystemFile): Promise<boolean> {
  const path = join(root, file.target);
  try {
    const [contents, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    return (
      contents !== file.contents ||
      (info.mode & 0o7777) !== SYSTEM_FILE_MODE ||
      info.uid !== 0 ||
      info.gid !== 0
    );
  } catch {
    return true;
  }
}
