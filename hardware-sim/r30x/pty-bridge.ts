import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { lstat, mkdir, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const LINK_TIMEOUT_MS = 5_000;
const POLL_MS = 10;

export function socatInstalled(): boolean {
  return spawnSync("socat", ["-V"], { stdio: "ignore" }).status === 0;
}

/** Whether `path` exists, as a link or anything else (a dangling link counts). */
export async function linkExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * A pseudo-terminal at a fixed path (a symlink to /dev/pts/N) bridged to the
 * simulator's TCP port by socat, so any serial client can open it like a USB serial
 * adapter. raw,echo=0 keeps the tty from rewriting or echoing protocol bytes.
 * Stopping socat removes the link, as the device node vanishes when an adapter is
 * pulled; starting it again brings the same path back.
 */
export class PtyBridge {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(
    readonly linkPath: string,
    private readonly tcpPort: number,
  ) {}

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Resolves once the link exists. */
  async start(): Promise<void> {
    if (this.#child) return;
    if (!socatInstalled())
      throw new Error(
        "socat is not installed; it makes the pseudo-terminal (apt-get install socat)",
      );
    await mkdir(dirname(this.linkPath), { recursive: true });
    await this.#removeStaleLink();
    let stderr = "";
    const child = spawn(
      "socat",
      [`pty,raw,echo=0,link=${this.linkPath}`, `tcp:127.0.0.1:${this.tcpPort}`],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let exitCode: number | null | undefined;
    this.#exited = new Promise((resolve) => {
      child.once("exit", (code) => {
        exitCode = code;
        if (this.#child === child) this.#child = undefined;
        resolve();
      });
    });
    this.#child = child;
    const deadline = performance.now() + LINK_TIMEOUT_MS;
    while (!(await linkExists(this.linkPath))) {
      if (exitCode !== undefined)
        throw new Error(`socat exited (${String(exitCode)}): ${stderr.trim()}`);
      if (performance.now() > deadline) {
        await this.stop();
        throw new Error(`socat did not create ${this.linkPath} within ${LINK_TIMEOUT_MS} ms`);
      }
      await sleep(POLL_MS);
    }
  }

  /** Resolves once socat has exited and the link is gone. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child) {
      child.kill("SIGTERM");
      await this.#exited;
    }
    await this.#removeStaleLink();
  }

  /** Only a symlink: anything else at the path is not ours to delete, and socat will say so. */
  async #removeStaleLink(): Promise<void> {
    try {
      if ((await lstat(this.linkPath)).isSymbolicLink()) await unlink(this.linkPath);
    } catch {
      // Nothing there.
    }
  }
}
